"""facility closed days

The days a facility holds no sessions of its own accord, beside the public holidays (which the
``holidays`` library knows): generating sessions skips both.

Revision ID: 8b1e5c7d2f90
Revises: 3c8d2a6e1f47
Create Date: 2026-12-07 14:49:02.535838
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b1e5c7d2f90"
down_revision: str | None = "3c8d2a6e1f47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facility_closed_days",
        sa.Column("facility_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_facility_closed_days_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("facility_id", "date", name=op.f("pk_facility_closed_days")),
    )


def downgrade() -> None:
    op.drop_table("facility_closed_days")
