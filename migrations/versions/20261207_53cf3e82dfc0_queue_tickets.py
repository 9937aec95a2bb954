"""queue tickets

The queue of a drive day: a ticket per checked-in appointment, numbered per session
(queue_counters holds each session's last number).

Revision ID: 53cf3e82dfc0
Revises: 3b8c61e0d2a4
Create Date: 2026-12-07 14:52:11.743424
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "53cf3e82dfc0"
down_revision: str | None = "3b8c61e0d2a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue_counters",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_queue_counters_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_queue_counters")),
    )
    op.create_table(
        "queue_tickets",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("facility_id", sa.Uuid(), nullable=False),
        sa.Column("specialty_code", sa.String(length=40), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "called",
                "served",
                "absent",
                name="ticket_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requeued", sa.Boolean(), nullable=False),
        sa.Column("called_by", sa.Uuid(), nullable=True),
        sa.Column("desk", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_queue_tickets_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_queue_tickets_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_queue_tickets_session_id_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["specialty_code"],
            ["specialties.code"],
            name=op.f("fk_queue_tickets_specialty_code_specialties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_tickets")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_queue_tickets_appointment_id")),
        sa.UniqueConstraint(
            "session_id", "number", name=op.f("uq_queue_tickets_session_id_number")
        ),
    )
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_queue_tickets_facility_date", ["facility_id", "date"], unique=False
        )
        batch_op.create_index(
            "ix_queue_tickets_line", ["session_id", "status", "queued_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_tickets_line")
        batch_op.drop_index("ix_queue_tickets_facility_date")

    op.drop_table("queue_tickets")
    op.drop_table("queue_counters")
