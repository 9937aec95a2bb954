"""past checks' trigger writes only the people whose last check moves

On PostgreSQL, `last_check_past_checks_added` (an INSERT into past_checks, per statement)
updated every person of the inserted rows, even when their `last_checked_on` was already that
day or later: a new version of the row and of each of its index entries (two trigram indexes
among them) for nothing. It now updates only the people whose day moves later; the value it
leaves is the same (GREATEST of the two). The import sets the day of the people it creates
with their past check, so that its batch's trigger writes no row (decision 0057). SQLite's
per-row triggers are unchanged.

Revision ID: 9bf807aaf0e6
Revises: 660dc2dca6aa
Create Date: 2026-12-07 20:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9bf807aaf0e6"
down_revision: str | None = "660dc2dca6aa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHDRAWN = "'entered-in-error'"
ADDED = f"""(SELECT beneficiary_id, max(date) AS day FROM added_rows
              WHERE status <> {WITHDRAWN} GROUP BY beneficiary_id) AS added"""
BEFORE = f"""
        UPDATE beneficiaries SET last_checked_on = GREATEST(beneficiaries.last_checked_on, added.day)
        FROM {ADDED}
        WHERE beneficiaries.id = added.beneficiary_id;
        RETURN NULL;"""
AFTER = f"""
        UPDATE beneficiaries SET last_checked_on = added.day
        FROM {ADDED}
        WHERE beneficiaries.id = added.beneficiary_id
          AND (beneficiaries.last_checked_on IS NULL OR beneficiaries.last_checked_on < added.day);
        RETURN NULL;"""


def _replace(body: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION last_check_past_checks_added() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN{body}\nEND $$"
        )


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    _replace(BEFORE)
