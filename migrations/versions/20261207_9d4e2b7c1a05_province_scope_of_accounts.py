"""province scope of accounts

An account may be scoped to provinces (``province_codes``: every facility and person of them)
or be nation-wide (``nation_wide``: reads reports across the provinces served, writes nothing),
besides province-wide and facilities as before (decision 0054). Existing accounts keep their
scope: no provinces, not nation-wide.

Revision ID: 9d4e2b7c1a05
Revises: 5c0a7e3d9b21
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4e2b7c1a05"
down_revision: str | None = "5c0a7e3d9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("province_codes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("nation_wide", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("nation_wide")
        batch.drop_column("province_codes")
