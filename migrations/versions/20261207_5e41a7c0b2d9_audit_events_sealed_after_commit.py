"""audit events sealed after commit

A request inserts its audit events unchained; the sealer chains committed rows a moment later
and numbers them (`seq`, the chain's order; decision 0029). `seq` is added (unique), `prev_hash`
and `hash` may be empty until a row is sealed, and a partial index finds the unsealed rows.
Existing rows, chained in id order, get their position in that order.

The append-only triggers now let one UPDATE through: sealing a row (empty `seq` set, the hash
fields set if they were empty, nothing else changed). DELETE (and TRUNCATE on PostgreSQL) stay
refused. The downgrade refuses while unsealed rows remain.

Revision ID: 5e41a7c0b2d9
Revises: d90d28011174
Create Date: 2026-12-07 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e41a7c0b2d9"
down_revision: str | None = "d90d28011174"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTENT_COLUMNS = [
    "id",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_login",
    "action",
    "operation",
    "resource_type",
    "resource_id",
    "beneficiary_id",
    "request_id",
    "client_address",
    "outcome",
    "status_code",
    "changed_fields",
    "detail",
]
SEALING = (
    "OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL "
    "AND NEW.hash IS NOT NULL AND (OLD.hash IS NULL "
    "OR (NEW.hash = OLD.hash AND NEW.prev_hash = OLD.prev_hash))"
)
PG_SEAL_ONLY = f"""
    CREATE OR REPLACE FUNCTION audit_events_seal_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {SEALING}
            AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')
                = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql
"""
SQLITE_UNCHANGED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in CONTENT_COLUMNS)
NUMBER_IN_ID_ORDER = """
    UPDATE audit_events SET seq = numbered.position
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS position FROM audit_events) AS numbered
    WHERE audit_events.id = numbered.id
"""


def _sqlite_triggers(update_guard: str) -> None:
    op.execute(
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        f"{update_guard}BEGIN SELECT RAISE(ABORT, 'audit_events is append-only "
        "(UPDATE refused)'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (DELETE refused)'); END"
    )


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER audit_events_no_change ON audit_events")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])
        batch_op.create_index(
            "ix_audit_events_unsealed",
            ["id"],
            unique=False,
            postgresql_where=sa.text("seq IS NULL"),
            sqlite_where=sa.text("seq IS NULL"),
        )
    op.execute(NUMBER_IN_ID_ORDER)
    if postgresql:
        op.execute(PG_SEAL_ONLY)
        op.execute(
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_seal_only()"
        )
    else:
        _sqlite_triggers(f"WHEN NOT ({SEALING} AND {SQLITE_UNCHANGED}) ")


def downgrade() -> None:
    unsealed = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_events WHERE seq IS NULL"))
    if unsealed.scalar_one():
        raise RuntimeError("audit events are still unsealed: run `veteran-care audit seal` first")
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION audit_events_seal_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_unsealed")
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("seq")
    if postgresql:
        op.execute(
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        _sqlite_triggers("")
