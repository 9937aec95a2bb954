"""every commune of 2025

The 3,321 communes, wards and special zones of the 34 provinces as reorganised on 1 July 2025
(QĐ 19/2025/QĐ-TTg codes), so that a deployment can serve any province: the registry's first
migration held Điện Biên's 45. The rows come from ``migrations/reference/communes-2025.csv``, written
from ``vietnam-provinces`` 2025.10.1 (``data/nested-divisions.json``, MIT licence, data of
2025-10-18) and frozen beside this migration: a later list arrives as a later migration.

Revision ID: 3c8d2a6e1f47
Revises: f70db23c4f40
Create Date: 2026-12-07 14:50:00
"""

import csv
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "3c8d2a6e1f47"
down_revision: str | None = "f70db23c4f40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).parents[1] / "reference" / "communes-2025.csv"

communes = sa.table(
    "communes",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("division_type", sa.String),
    sa.column("province_code", sa.String),
    sa.column("province_name", sa.String),
)


def upgrade() -> None:
    present = {code for (code,) in op.get_bind().execute(sa.select(communes.c.code))}
    with DATA.open(encoding="utf-8", newline="") as data:
        rows = [row for row in csv.DictReader(data) if row["code"] not in present]
    op.bulk_insert(communes, rows)


def downgrade() -> None:
    """The communes stay: the table is the same below, and people and facilities registered
    since may name them (a downgrade never loses what was written)."""
