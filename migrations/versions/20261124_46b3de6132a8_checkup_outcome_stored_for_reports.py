"""checkup outcome stored for reports

Each checkup keeps the outcome the attendance reports count (attended, noshow, pending,
cancelled_by_patient, cancelled_by_facility; NULL when every appointment is entered in error),
maintained by the scheduling lifecycle wherever an appointment's status changes. Existing rows are
backfilled from their appointments by the same rules. An index on (date, outcome) lets a report of
a period read only that period's checkups (on PostgreSQL it covers status, beneficiary_id and
facility_id too, for an index-only scan). On SQLite (3.35+) the column is added and dropped in
place, without batch mode's copy of a table that others reference.

Revision ID: 46b3de6132a8
Revises: 2fbeaf519dbd
Create Date: 2026-11-24 04:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "46b3de6132a8"
down_revision: str | None = "2fbeaf519dbd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = ("attended", "noshow", "pending", "cancelled_by_patient", "cancelled_by_facility")

# The outcome of every checkup with an appointment not entered in error (lifecycle.checkup_outcome
# in SQL). UPDATE ... FROM runs on PostgreSQL and on SQLite 3.33+.
BACKFILL = """
UPDATE checkups SET outcome = o.outcome
FROM (
  SELECT checkup_id,
    CASE
      WHEN max(CASE WHEN status IN ('checked-in', 'fulfilled') THEN 1 ELSE 0 END) = 1
        THEN 'attended'
      WHEN max(CASE WHEN status = 'noshow' THEN 1 ELSE 0 END) = 1 THEN 'noshow'
      WHEN max(CASE WHEN status = 'booked' THEN 1 ELSE 0 END) = 1 THEN 'pending'
      WHEN max(CASE WHEN status = 'cancelled' AND cancelled_by = 'patient' THEN 1 ELSE 0 END) = 1
        THEN 'cancelled_by_patient'
      ELSE 'cancelled_by_facility'
    END AS outcome
  FROM appointments
  WHERE status <> 'entered-in-error'
  GROUP BY checkup_id
) o
WHERE o.checkup_id = checkups.id
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN (SQLite allows a CHECK on it): batch mode would copy the table, and
        # with foreign keys on, dropping the old copy fails while appointments, results and
        # dispenses point at its rows.
        allowed = ", ".join(f"'{o}'" for o in OUTCOMES)
        op.execute(
            "ALTER TABLE checkups ADD COLUMN outcome VARCHAR(21) "
            f"CONSTRAINT ck_checkups_checkup_outcome CHECK (outcome IN ({allowed}))"
        )
    else:
        op.add_column(
            "checkups",
            sa.Column(
                "outcome",
                sa.Enum(
                    *OUTCOMES, name="checkup_outcome", native_enum=False, create_constraint=True
                ),
                nullable=True,
            ),
        )
        # A million checkups take longer than the application's statement timeout (the server
        # migrates on start): no limit for the rest of this migration's transaction.
        op.execute("SET LOCAL statement_timeout = 0")
    op.execute(BACKFILL)
    op.create_index(
        "ix_checkups_date_outcome",
        "checkups",
        ["date", "outcome"],
        unique=False,
        postgresql_include=["status", "beneficiary_id", "facility_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_checkups_date_outcome", table_name="checkups")
    # PostgreSQL drops the column's CHECK with it; SQLite (3.35+) drops a column whose only CHECK
    # is its own, without copying the table.
    op.execute("ALTER TABLE checkups DROP COLUMN outcome")
