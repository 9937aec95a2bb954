"""contacts and consent

A person's relatives and caregivers (name, relationship, phone, whether they may receive the
programme's messages for the person), and the person's consents to be contacted (Decree
13/2023/ND-CP): each given or withdrawn on a day, with the preferred channel and the account
that recorded it; the latest counts. Two new tables; nothing existing changes.

Revision ID: 9e55f0b6576a
Revises: 8a4fd37d2f4a
Create Date: 2026-12-07 14:41:16.618400
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e55f0b6576a"
down_revision: str | None = "8a4fd37d2f4a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "beneficiary_contacts",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column(
            "relationship",
            sa.Enum(
                "spouse",
                "child",
                "grandchild",
                "parent",
                "sibling",
                "other-relative",
                "caregiver",
                name="contact_relationship",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("may_receive_messages", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_beneficiary_contacts_beneficiary_id_beneficiaries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiary_contacts")),
    )
    with op.batch_alter_table("beneficiary_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_beneficiary_contacts_beneficiary_id"), ["beneficiary_id"], unique=False
        )

    op.create_table(
        "contact_consents",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "given",
                "withdrawn",
                name="consent_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "zalo",
                "printed-list",
                "none",
                name="contact_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_contact_consents_beneficiary_id_beneficiaries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_consents")),
    )
    with op.batch_alter_table("contact_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_consents_beneficiary_recorded",
            ["beneficiary_id", "recorded_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_consents_beneficiary_recorded")

    op.drop_table("contact_consents")
    with op.batch_alter_table("beneficiary_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beneficiary_contacts_beneficiary_id"))

    op.drop_table("beneficiary_contacts")
