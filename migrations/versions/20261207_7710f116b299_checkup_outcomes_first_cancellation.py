"""checkup outcomes: the first cancellation decides

A checkup whose examinations were all cancelled counts as cancelled by whoever cancelled first
(the reports have always said so; the stored outcome said "by the patient" if any of them was).
The stored outcomes of cancelled checkups are derived again by that rule, the first cancellation
being the cancelled examination changed first (an examination is last changed when it is
cancelled). An index on checkups.rescheduled_from_id serves the reports, which count a
rescheduled checkup once.

Revision ID: 7710f116b299
Revises: aa502ec10a93
Create Date: 2026-12-07 07:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7710f116b299"
down_revision: str | None = "aa502ec10a93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_CANCELLATION = """
UPDATE checkups SET outcome = CASE (
    SELECT a.cancelled_by FROM appointments a
    WHERE a.checkup_id = checkups.id AND a.status = 'cancelled'
    ORDER BY a.updated_at, a.id
    LIMIT 1
) WHEN 'patient' THEN 'cancelled_by_patient' ELSE 'cancelled_by_facility' END
WHERE outcome IN ('cancelled_by_patient', 'cancelled_by_facility')
"""


def upgrade() -> None:
    op.create_index("ix_checkups_rescheduled_from_id", "checkups", ["rescheduled_from_id"])
    op.execute(FIRST_CANCELLATION)


def downgrade() -> None:
    # The outcomes stay as derived: the earlier rule is not restored.
    op.drop_index("ix_checkups_rescheduled_from_id", table_name="checkups")
