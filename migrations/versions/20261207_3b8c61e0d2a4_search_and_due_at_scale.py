"""search and due list at scale

``beneficiaries.later_names_search`` (computed: the search key from the end of its first word,
trigram-indexed on PostgreSQL) for name searches that stay fast for common words (decision
0035); ``beneficiaries.last_checked_on`` (the latest fulfilled appointment or past check, kept
by triggers on appointments and past_checks, backfilled here) and an index on (commune_code,
name_search, id) for a due list that reads one column (decision 0036).

Revision ID: 3b8c61e0d2a4
Revises: 4e2a9c1b7d35
Create Date: 2026-12-07 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b8c61e0d2a4"
down_revision: str | None = "4e2a9c1b7d35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LATER_NAMES_SQL = "ltrim(name_search, 'abcdefghijklmnopqrstuvwxyz0123456789')"
FULFILLED = "'fulfilled'"
WITHDRAWN = "'entered-in-error'"


def _last_check(person: str) -> str:
    """The day of ``person``'s last check, as the due list counts it."""
    return (
        "(SELECT max(d) FROM ("
        f"SELECT date AS d FROM appointments WHERE beneficiary_id = {person} "
        f"AND status = {FULFILLED} "
        f"UNION ALL SELECT date AS d FROM past_checks WHERE beneficiary_id = {person} "
        f"AND status <> {WITHDRAWN}) AS checks)"
    )


# PostgreSQL: a function per trigger. Inserts can only move the day later (GREATEST, and
# past checks per statement: an import's COPY of thousands of rows is one UPDATE); updates and
# deletes recompute the person's day. Only writes that touch a fulfilled appointment or a
# counted past check fire (the WHEN clauses): bookings and check-ins pay nothing.
POSTGRESQL_FUNCTIONS = {
    "last_check_recompute": f"""
        UPDATE beneficiaries SET last_checked_on = {_last_check("beneficiaries.id")}
        WHERE id IN (OLD.beneficiary_id, NEW.beneficiary_id);
        RETURN NULL;""",
    "last_check_recompute_old": f"""
        UPDATE beneficiaries SET last_checked_on = {_last_check("beneficiaries.id")}
        WHERE id = OLD.beneficiary_id;
        RETURN NULL;""",
    "last_check_appointment_added": """
        UPDATE beneficiaries SET last_checked_on = GREATEST(last_checked_on, NEW.date)
        WHERE id = NEW.beneficiary_id;
        RETURN NULL;""",
    "last_check_past_checks_added": f"""
        UPDATE beneficiaries SET last_checked_on = GREATEST(beneficiaries.last_checked_on, added.day)
        FROM (SELECT beneficiary_id, max(date) AS day FROM added_rows
              WHERE status <> {WITHDRAWN} GROUP BY beneficiary_id) AS added
        WHERE beneficiaries.id = added.beneficiary_id;
        RETURN NULL;""",
}
POSTGRESQL_TRIGGERS = [
    f"""CREATE TRIGGER appointments_last_check_insert AFTER INSERT ON appointments
        FOR EACH ROW WHEN (NEW.status = {FULFILLED})
        EXECUTE FUNCTION last_check_appointment_added()""",
    f"""CREATE TRIGGER appointments_last_check_update AFTER UPDATE OF status, date, beneficiary_id
        ON appointments FOR EACH ROW
        WHEN (OLD.status = {FULFILLED} OR NEW.status = {FULFILLED})
        EXECUTE FUNCTION last_check_recompute()""",
    f"""CREATE TRIGGER appointments_last_check_delete AFTER DELETE ON appointments
        FOR EACH ROW WHEN (OLD.status = {FULFILLED})
        EXECUTE FUNCTION last_check_recompute_old()""",
    """CREATE TRIGGER past_checks_last_check_insert AFTER INSERT ON past_checks
        REFERENCING NEW TABLE AS added_rows FOR EACH STATEMENT
        EXECUTE FUNCTION last_check_past_checks_added()""",
    """CREATE TRIGGER past_checks_last_check_update AFTER UPDATE OF status, date, beneficiary_id
        ON past_checks FOR EACH ROW EXECUTE FUNCTION last_check_recompute()""",
    f"""CREATE TRIGGER past_checks_last_check_delete AFTER DELETE ON past_checks
        FOR EACH ROW WHEN (OLD.status <> {WITHDRAWN})
        EXECUTE FUNCTION last_check_recompute_old()""",
]
TRIGGER_TABLES = {
    "appointments_last_check_insert": "appointments",
    "appointments_last_check_update": "appointments",
    "appointments_last_check_delete": "appointments",
    "past_checks_last_check_insert": "past_checks",
    "past_checks_last_check_update": "past_checks",
    "past_checks_last_check_delete": "past_checks",
}


def _sqlite_trigger(name: str, event: str, table: str, when: str, person: str) -> str:
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW WHEN {when} BEGIN "
        f"UPDATE beneficiaries SET last_checked_on = {_last_check('beneficiaries.id')} "
        f"WHERE id IN ({person}); END"
    )


SQLITE_TRIGGERS = [
    _sqlite_trigger(
        "appointments_last_check_insert",
        "INSERT",
        "appointments",
        f"NEW.status = {FULFILLED}",
        "NEW.beneficiary_id",
    ),
    _sqlite_trigger(
        "appointments_last_check_update",
        "UPDATE OF status, date, beneficiary_id",
        "appointments",
        f"OLD.status = {FULFILLED} OR NEW.status = {FULFILLED}",
        "OLD.beneficiary_id, NEW.beneficiary_id",
    ),
    _sqlite_trigger(
        "appointments_last_check_delete",
        "DELETE",
        "appointments",
        f"OLD.status = {FULFILLED}",
        "OLD.beneficiary_id",
    ),
    _sqlite_trigger(
        "past_checks_last_check_insert",
        "INSERT",
        "past_checks",
        f"NEW.status <> {WITHDRAWN}",
        "NEW.beneficiary_id",
    ),
    _sqlite_trigger(
        "past_checks_last_check_update",
        "UPDATE OF status, date, beneficiary_id",
        "past_checks",
        "1",
        "OLD.beneficiary_id, NEW.beneficiary_id",
    ),
    _sqlite_trigger(
        "past_checks_last_check_delete",
        "DELETE",
        "past_checks",
        f"OLD.status <> {WITHDRAWN}",
        "OLD.beneficiary_id",
    ),
]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # Stored on PostgreSQL (its only kind before 18); virtual on SQLite, which adds no stored
    # column to a table that exists.
    later = sa.Computed(LATER_NAMES_SQL, persisted=True if postgresql else None)
    op.add_column(
        "beneficiaries",
        sa.Column("later_names_search", sa.String(length=200), later, nullable=True),
    )
    op.add_column("beneficiaries", sa.Column("last_checked_on", sa.Date(), nullable=True))
    op.create_index(
        "ix_beneficiaries_commune_name_search_id",
        "beneficiaries",
        ["commune_code", "name_search", "id"],
    )
    op.create_index(
        "ix_beneficiaries_later_names_search_trgm",
        "beneficiaries",
        ["later_names_search"],
        postgresql_using="gin",
        postgresql_ops={"later_names_search": "gin_trgm_ops"},
    )
    if postgresql:
        op.execute(
            "UPDATE beneficiaries SET last_checked_on = checks.day FROM ("
            "SELECT beneficiary_id, max(d) AS day FROM ("
            f"SELECT beneficiary_id, date AS d FROM appointments WHERE status = {FULFILLED} "
            "UNION ALL SELECT beneficiary_id, date AS d FROM past_checks "
            f"WHERE status <> {WITHDRAWN}) AS all_checks GROUP BY beneficiary_id) AS checks "
            "WHERE beneficiaries.id = checks.beneficiary_id"
        )
        for name, body in POSTGRESQL_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN{body}\n"
                "END $$"
            )
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(f"UPDATE beneficiaries SET last_checked_on = {_last_check('beneficiaries.id')}")
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table in TRIGGER_TABLES.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index(
        "ix_beneficiaries_later_names_search_trgm",
        table_name="beneficiaries",
        postgresql_using="gin",
        postgresql_ops={"later_names_search": "gin_trgm_ops"},
    )
    op.drop_index("ix_beneficiaries_commune_name_search_id", table_name="beneficiaries")
    with op.batch_alter_table("beneficiaries") as batch:
        batch.drop_column("last_checked_on")
        batch.drop_column("later_names_search")
