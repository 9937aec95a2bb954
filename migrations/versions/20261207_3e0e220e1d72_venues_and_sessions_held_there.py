"""venues and sessions held there

Places a drive is held that are not facilities (a commune hall, a school), and the venue a
session's visiting team holds it at (null: at the facility). Decision 0052.

Revision ID: 3e0e220e1d72
Revises: ed5841168a5c
Create Date: 2026-12-07 17:12:23.401055
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e0e220e1d72"
down_revision: str | None = "ed5841168a5c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "commune-hall",
                "school",
                "cultural-house",
                "other",
                name="venue_kind",
                native_enum=False,
                create_constraint=True,
                length=14,
            ),
            nullable=False,
        ),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["communes.code"], name=op.f("fk_venues_commune_code_communes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venues_commune_code"), ["commune_code"], unique=False)

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("venue_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_sessions_venue_id"), ["venue_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sessions_venue_id_venues"), "venues", ["venue_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sessions_venue_id_venues"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_sessions_venue_id"))
        batch_op.drop_column("venue_id")

    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_commune_code"))

    op.drop_table("venues")
