"""waitlist entries and offer messages

A person waits for a place in a full specialty; a freed place is held for the first in line and
offered by a message of a new kind, ``waitlist_offer``, which is about a waitlist entry rather
than a checkup (decision 0050).

Revision ID: ed5841168a5c
Revises: 9d4e2b7c1a05
Create Date: 2026-12-07 17:12:46.447220
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ed5841168a5c"
down_revision: str | None = "9d4e2b7c1a05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "confirmation",
    "reminder_early",
    "reminder_late",
    "cancellation",
    "session_cancelled",
    "rescheduled",
)
IN_LINE = sa.text("status IN ('waiting', 'offered')")


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("facility_id", sa.Uuid(), nullable=False),
        sa.Column("specialty_code", sa.String(length=40), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "offered",
                "booked",
                "lapsed",
                "withdrawn",
                name="waitlist_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("offered_session_id", sa.Uuid(), nullable=True),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkup_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'offered' OR (offered_session_id IS NOT NULL AND hold_until IS NOT NULL)",
            name=op.f("ck_waitlist_entries_offer_has_place"),
        ),
        sa.CheckConstraint("date_from <= date_to", name=op.f("ck_waitlist_entries_dates_in_order")),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_waitlist_entries_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["checkup_id"], ["checkups.id"], name=op.f("fk_waitlist_entries_checkup_id_checkups")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_waitlist_entries_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["offered_session_id"],
            ["sessions.id"],
            name=op.f("fk_waitlist_entries_offered_session_id_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["specialty_code"],
            ["specialties.code"],
            name=op.f("fk_waitlist_entries_specialty_code_specialties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index("ix_waitlist_entries_beneficiary_id", "waitlist_entries", ["beneficiary_id"])
    op.create_index("ix_waitlist_entries_hold_until", "waitlist_entries", ["status", "hold_until"])
    op.create_index(
        "ix_waitlist_entries_line",
        "waitlist_entries",
        ["facility_id", "specialty_code", "status", "created_at"],
    )
    op.create_index(
        "uq_waitlist_entries_in_line",
        "waitlist_entries",
        ["beneficiary_id", "facility_id", "specialty_code"],
        unique=True,
        postgresql_where=IN_LINE,
        sqlite_where=IN_LINE,
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("waitlist_entry_id", sa.Uuid(), nullable=True))
        batch.alter_column("checkup_id", existing_type=sa.Uuid(), nullable=True)
        batch.create_index(batch.f("ix_messages_waitlist_entry_id"), ["waitlist_entry_id"])
        batch.create_foreign_key(
            batch.f("fk_messages_waitlist_entry_id_waitlist_entries"),
            "waitlist_entries",
            ["waitlist_entry_id"],
            ["id"],
        )
        batch.drop_constraint("message_kind", "check")
        batch.create_check_constraint("message_kind", _kinds((*KINDS, "waitlist_offer")))
        batch.create_check_constraint(
            "about_something", "checkup_id IS NOT NULL OR waitlist_entry_id IS NOT NULL"
        )
    with op.batch_alter_table("message_templates") as batch:
        batch.drop_constraint("message_template_kind", "check")
        batch.create_check_constraint("message_template_kind", _kinds((*KINDS, "waitlist_offer")))


def downgrade() -> None:
    op.execute(
        "DELETE FROM message_attempts WHERE message_id IN "
        "(SELECT id FROM messages WHERE kind = 'waitlist_offer')"
    )
    op.execute("DELETE FROM messages WHERE kind = 'waitlist_offer' AND origin_id IS NOT NULL")
    op.execute("DELETE FROM messages WHERE kind = 'waitlist_offer'")
    op.execute("DELETE FROM message_templates WHERE kind = 'waitlist_offer'")
    with op.batch_alter_table("message_templates") as batch:
        batch.drop_constraint("message_template_kind", "check")
        batch.create_check_constraint("message_template_kind", _kinds(KINDS))
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("about_something", "check")
        batch.drop_constraint("message_kind", "check")
        batch.create_check_constraint("message_kind", _kinds(KINDS))
        batch.drop_constraint(
            batch.f("fk_messages_waitlist_entry_id_waitlist_entries"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_messages_waitlist_entry_id"))
        batch.alter_column("checkup_id", existing_type=sa.Uuid(), nullable=False)
        batch.drop_column("waitlist_entry_id")
    op.drop_table("waitlist_entries")
