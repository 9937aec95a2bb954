"""contact attempts of the worklist

Each attempt to reach a person on the due list: who, when, how, what came of it (will come
with the checkup booked or linked, call later on a day, moved away, deceased, wrong number,
refuses, no answer), who gave the news and a note. Decision 0053.

Revision ID: c457e24ed366
Revises: 3e0e220e1d72
Create Date: 2026-12-07 17:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c457e24ed366"
down_revision: str | None = "3e0e220e1d72"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_attempts",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempted_by", sa.Uuid(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "home-visit",
                "sms",
                "zalo",
                "other",
                name="attempt_channel",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "will_come",
                "call_later",
                "moved_away",
                "deceased",
                "wrong_number",
                "refuses",
                "no_answer",
                name="attempt_outcome",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("call_back_on", sa.Date(), nullable=True),
        sa.Column("informant", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("checkup_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(outcome = 'call_later') = (call_back_on IS NOT NULL)",
            name=op.f("ck_contact_attempts_call_back_on_iff_call_later"),
        ),
        sa.CheckConstraint(
            "(outcome = 'will_come') = (checkup_id IS NOT NULL)",
            name=op.f("ck_contact_attempts_checkup_iff_will_come"),
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_contact_attempts_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["checkup_id"], ["checkups.id"], name=op.f("fk_contact_attempts_checkup_id_checkups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attempts")),
    )
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_attempts_beneficiary_at", ["beneficiary_id", "attempted_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_attempts_beneficiary_at")

    op.drop_table("contact_attempts")
