"""recognitions and the main category

Each category a person holds is recognised by a decision: beside its date (already kept), its
number and the authority that issued it. One of a person's categories is their main one (a
partial unique index keeps it to one). People who hold categories already get a main one: a
category with a disability rate before one without, then by code.

Revision ID: 8a4fd37d2f4a
Revises: ac863bcb0f85
Create Date: 2026-12-07 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8a4fd37d2f4a"
down_revision: str | None = "ac863bcb0f85"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_MAIN = """
UPDATE beneficiary_category_memberships SET is_main = (category_code = (
    SELECT m.category_code FROM beneficiary_category_memberships m
    JOIN beneficiary_categories c ON c.code = m.category_code
    WHERE m.beneficiary_id = beneficiary_category_memberships.beneficiary_id
    ORDER BY c.carries_disability_rate DESC, m.category_code
    LIMIT 1
))
"""


def upgrade() -> None:
    with op.batch_alter_table("beneficiary_category_memberships") as batch:
        batch.add_column(sa.Column("decision_number", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("issuing_authority", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("is_main", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(FIRST_MAIN)
    with op.batch_alter_table("beneficiary_category_memberships") as batch:
        batch.create_index(
            "uq_beneficiary_category_memberships_one_main",
            ["beneficiary_id"],
            unique=True,
            postgresql_where=sa.text("is_main"),
            sqlite_where=sa.text("is_main"),
        )


def downgrade() -> None:
    with op.batch_alter_table("beneficiary_category_memberships") as batch:
        batch.drop_index("uq_beneficiary_category_memberships_one_main")
        batch.drop_column("is_main")
        batch.drop_column("issuing_authority")
        batch.drop_column("decision_number")
