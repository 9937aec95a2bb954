"""login throttle per name and client address

Failed logins are counted per (login, client address) instead of per login, so that failing
someone's logins from one address no longer locks them out everywhere (decision 0027). The table
gets `client_address` in its primary key, `locked_until` becomes `delayed_until`, and
`last_failure_at` (indexed: quiet rows are purged by it) is always set. Existing rows, counted
before addresses were, are kept as failures from the address `unknown`; they are forgotten like
any other. The downgrade folds the rows of a name into one (most failures, latest times).

Revision ID: d90d28011174
Revises: 46b3de6132a8
Create Date: 2026-12-07 02:20:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "d90d28011174"
down_revision: str | None = "46b3de6132a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNKNOWN_ADDRESS = "unknown"


def _create_by_name() -> sa.Table:
    return op.create_table(
        "login_throttle",
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_login_throttle")),
    )


def _create_by_pair() -> sa.Table:
    table = op.create_table(
        "login_throttle",
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("delayed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("login", "client_address", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttle_last_failure_at"), ["last_failure_at"], unique=False
        )
    return table


def _rows(*columns: str) -> list[dict[str, Any]]:
    types: dict[str, Any] = {"login": sa.String(), "failures": sa.Integer()}
    table = sa.table(
        "login_throttle",
        *(sa.column(name, types.get(name, sa.DateTime(timezone=True))) for name in columns),
    )
    result = op.get_bind().execute(sa.select(table))
    return [{k: _utc(v) for k, v in row.items()} for row in result.mappings()]


def _utc(value: Any) -> Any:
    """SQLite hands back times without their offset: they are UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def upgrade() -> None:
    old = _rows("login", "failures", "locked_until", "last_failure_at")
    op.drop_table("login_throttle")
    table = _create_by_pair()
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "login": row["login"],
                "client_address": UNKNOWN_ADDRESS,
                "failures": row["failures"],
                "delayed_until": row["locked_until"],
                "last_failure_at": row["last_failure_at"] or now,
            }
            for row in old
        ],
    )


def downgrade() -> None:
    pairs = _rows("login", "failures", "delayed_until", "last_failure_at")
    by_name: dict[str, dict[str, Any]] = {}
    for row in sorted(pairs, key=lambda r: (r["login"], r["failures"])):
        kept = by_name.setdefault(
            row["login"],
            {"login": row["login"], "failures": 0, "locked_until": None, "last_failure_at": None},
        )
        kept["failures"] = row["failures"]  # the most, as rows come in order of failures
        for old, new in (("locked_until", "delayed_until"), ("last_failure_at", "last_failure_at")):
            if row[new] is not None and (kept[old] is None or row[new] > kept[old]):
                kept[old] = row[new]
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_last_failure_at"))
    op.drop_table("login_throttle")
    table = _create_by_name()
    op.bulk_insert(table, list(by_name.values()))
