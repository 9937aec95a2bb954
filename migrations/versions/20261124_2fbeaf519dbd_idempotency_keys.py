"""idempotency keys: one row per (principal, Idempotency-Key) with the response to replay

Rows are written in the transaction of the request they belong to (or, for bulk scheduling and
imports, claimed as `running` first); expired rows are deleted by
`veteran-care purge-idempotency-keys`. See docs/decisions/0009.

Revision ID: 2fbeaf519dbd
Revises: c9a28fae85d5
Create Date: 2026-11-24 04:36:33.743786
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2fbeaf519dbd"
down_revision: str | None = "c9a28fae85d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("principal_kind", sa.String(length=10), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=80), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "running",
                "done",
                name="idempotency_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint(
            "principal_kind", "principal_id", "key", name=op.f("pk_idempotency_keys")
        ),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_expires_at"))

    op.drop_table("idempotency_keys")
