"""messages outbox attempts templates

The outbox of messages to people (written in the transaction of the change that causes it),
each attempt to send one with the provider's answer, and the templates an admin edits.

Revision ID: 6a2ebd1263a7
Revises: 9e55f0b6576a
Create Date: 2026-12-07 14:25:38.752880
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6a2ebd1263a7"
down_revision: str | None = "9e55f0b6576a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column(
            "kind",
            sa.Enum(
                "confirmation",
                "reminder_early",
                "reminder_late",
                "cancellation",
                "session_cancelled",
                "rescheduled",
                name="message_template_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_message_templates")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "confirmation",
                "reminder_early",
                "reminder_late",
                "cancellation",
                "session_cancelled",
                "rescheduled",
                name="message_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("checkup_id", sa.Uuid(), nullable=False),
        sa.Column("origin_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "cancelled",
                name="message_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "zalo",
                "printed",
                name="message_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("recipient", sa.String(length=40), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column("status_detail", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_messages_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["checkup_id"], ["checkups.id"], name=op.f("fk_messages_checkup_id_checkups")
        ),
        sa.ForeignKeyConstraint(
            ["origin_id"], ["messages.id"], name=op.f("fk_messages_origin_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(
        "ix_messages_beneficiary_created_at",
        "messages",
        ["beneficiary_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_messages_checkup_id"), "messages", ["checkup_id"], unique=False)
    op.create_index(
        "ix_messages_status_next_attempt_at",
        "messages",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "uq_messages_reminder_per_checkup",
        "messages",
        ["checkup_id", "kind"],
        unique=True,
        postgresql_where=sa.text(
            "origin_id IS NULL AND kind IN ('reminder_early', 'reminder_late')"
        ),
        sqlite_where=sa.text("origin_id IS NULL AND kind IN ('reminder_early', 'reminder_late')"),
    )
    op.create_table(
        "message_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("answer", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_attempts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attempts")),
    )
    op.create_index(
        op.f("ix_message_attempts_message_id"), "message_attempts", ["message_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_attempts_message_id"), table_name="message_attempts")
    op.drop_table("message_attempts")
    op.drop_index(
        "uq_messages_reminder_per_checkup",
        table_name="messages",
        postgresql_where=sa.text(
            "origin_id IS NULL AND kind IN ('reminder_early', 'reminder_late')"
        ),
        sqlite_where=sa.text("origin_id IS NULL AND kind IN ('reminder_early', 'reminder_late')"),
    )
    op.drop_index("ix_messages_status_next_attempt_at", table_name="messages")
    op.drop_index(op.f("ix_messages_checkup_id"), table_name="messages")
    op.drop_index("ix_messages_beneficiary_created_at", table_name="messages")
    op.drop_table("messages")
    op.drop_table("message_templates")
