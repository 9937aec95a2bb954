"""funding sources of lots and campaigns

Who paid for a lot (the state budget, health insurance, a sponsor named in words; unknown for
the lots received before), and the sponsor whose lots a campaign's medicines come from.

Revision ID: 4e2a9c1b7d35
Revises: 8b1e5c7d2f90
Create Date: 2026-12-07 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4e2a9c1b7d35"
down_revision: str | None = "8b1e5c7d2f90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sponsor", sa.String(length=200), nullable=True))

    with op.batch_alter_table("stock_lots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "funding_source",
                sa.Enum(
                    "state-budget",
                    "health-insurance",
                    "sponsor",
                    name="funding_source",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("sponsor", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stock_lots", schema=None) as batch_op:
        batch_op.drop_constraint("funding_source", "check")
        batch_op.drop_column("sponsor")
        batch_op.drop_column("funding_source")

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("sponsor")
