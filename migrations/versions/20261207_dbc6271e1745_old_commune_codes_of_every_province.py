"""old commune codes of every province

The old communes of the 48 old provinces that decision 0055 left out, each checked on its own
(decision 0064): every old commune whose every 2025 part has, in ``vietnamadminunits`` 1.0.4,
the code and the name it has in ``communes-2025.csv``. The rows come from
``migrations/reference/old-communes-2025-more.csv``, written by ``build_old_communes.py
--more``: 7,479 old codes, 7,809 rows.

Revision ID: dbc6271e1745
Revises: 9bf807aaf0e6
Create Date: 2026-12-07 21:55:00
"""

import csv
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "dbc6271e1745"
down_revision: str | None = "9bf807aaf0e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).parents[1] / "reference" / "old-communes-2025-more.csv"


def _codes() -> list[str]:
    with DATA.open(encoding="utf-8", newline="") as data:
        return sorted({row["old_code"] for row in csv.DictReader(data)})


def _old_communes() -> sa.TableClause:
    return sa.table(
        "old_communes",
        sa.column("old_code", sa.String),
        sa.column("new_code", sa.String),
        sa.column("old_name", sa.String),
        sa.column("old_district", sa.String),
        sa.column("old_province_code", sa.String),
        sa.column("is_default", sa.Boolean),
    )


def upgrade() -> None:
    """Writes the rows, replacing any of these old codes already there (see ``downgrade``)."""
    old_communes = _old_communes()
    codes = _codes()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        op.execute(old_communes.delete().where(old_communes.c.old_code.in_(chunk)))
    with DATA.open(encoding="utf-8", newline="") as data:
        rows = [row | {"is_default": row["is_default"] == "1"} for row in csv.DictReader(data)]
    op.bulk_insert(old_communes, rows)


def downgrade() -> None:
    """Keeps the rows: the revision below has the same table, and a lookup it answers is still
    right there; taking them out would change a table that revision keeps. An upgrade writes
    them again in place."""
