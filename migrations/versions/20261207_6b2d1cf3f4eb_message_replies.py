"""message replies

People's SMS replies from the gateway's inbound webhook, and what came of each (HUY cancels
the checkup, CO confirms it, anything else is kept for a person to read).

Revision ID: 6b2d1cf3f4eb
Revises: 6a2ebd1263a7
Create Date: 2026-12-07 15:06:23.623881
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b2d1cf3f4eb"
down_revision: str | None = "6a2ebd1263a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("checkup_id", sa.Uuid(), nullable=True),
        sa.Column("beneficiary_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_message_replies_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["checkup_id"], ["checkups.id"], name=op.f("fk_message_replies_checkup_id_checkups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_replies")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_message_replies_provider_id")),
    )
    op.create_index(
        op.f("ix_message_replies_beneficiary_id"),
        "message_replies",
        ["beneficiary_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_replies_beneficiary_id"), table_name="message_replies")
    op.drop_table("message_replies")
