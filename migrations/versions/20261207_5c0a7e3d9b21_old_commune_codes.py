"""old commune codes

The pre-2025 commune codes and the 2025 communes they became part of (decision 0055), so that a
record or a file carrying an old code can be looked up. The rows come from
``migrations/reference/old-communes-2025.csv``, written by ``build_old_communes.py`` beside it
from ``vietnamadminunits`` 1.0.4 (MIT): the old provinces whose every row agrees with the 2025
list of ``communes-2025.csv`` (Điện Biên and Lai Châu among them). More provinces arrive as a
later migration.

Revision ID: 5c0a7e3d9b21
Revises: 6b2d1cf3f4eb
Create Date: 2026-12-07 17:40:00
"""

import csv
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "5c0a7e3d9b21"
down_revision: str | None = "6b2d1cf3f4eb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).parents[1] / "reference" / "old-communes-2025.csv"


def upgrade() -> None:
    old_communes = op.create_table(
        "old_communes",
        sa.Column("old_code", sa.String(length=5), nullable=False),
        sa.Column("new_code", sa.String(length=5), nullable=False),
        sa.Column("old_name", sa.String(length=100), nullable=False),
        sa.Column("old_district", sa.String(length=100), nullable=False),
        sa.Column("old_province_code", sa.String(length=2), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["new_code"], ["communes.code"], name=op.f("fk_old_communes_new_code_communes")
        ),
        sa.PrimaryKeyConstraint("old_code", "new_code", name=op.f("pk_old_communes")),
    )
    with DATA.open(encoding="utf-8", newline="") as data:
        rows = [row | {"is_default": row["is_default"] == "1"} for row in csv.DictReader(data)]
    op.bulk_insert(old_communes, rows)


def downgrade() -> None:
    op.drop_table("old_communes")
