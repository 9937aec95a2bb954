"""Whom the programme may contact about a person (Decree 13/2023/ND-CP on personal data): the
person's relatives and caregivers, and the person's consent to be contacted with the channel
they prefer. Consents are kept as a history (each given or withdrawn, when, by whom recorded);
the latest one counts."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.columns import (
    IdMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    enum_column,
)


class ContactRelationship(StrEnum):
    """How a contact is related to the person (a caregiver may be a relative or not)."""

    spouse = "spouse"
    child = "child"
    grandchild = "grandchild"
    parent = "parent"
    sibling = "sibling"
    other_relative = "other-relative"
    caregiver = "caregiver"


class ConsentStatus(StrEnum):
    """given: the person agrees to be contacted; withdrawn: they no longer do."""

    given = "given"
    withdrawn = "withdrawn"


class ContactChannel(StrEnum):
    """How the person prefers to be reached: an SMS, a Zalo message, the printed list the
    commune health station puts up and reads out, or not at all."""

    sms = "sms"
    zalo = "zalo"
    printed_list = "printed-list"
    none = "none"


class BeneficiaryContact(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A relative or caregiver of a person: name, relationship, phone; whether they may receive
    the programme's messages for the person."""

    __tablename__ = "beneficiary_contacts"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[ContactRelationship] = mapped_column(
        enum_column(ContactRelationship, "contact_relationship")
    )
    phone: Mapped[str | None] = mapped_column(String(16), default=None)
    may_receive_messages: Mapped[bool] = mapped_column(Boolean, default=False)


class ContactConsent(IdMixin, Base):
    """One decision of the person about being contacted: given or withdrawn, on which day, the
    channel they prefer, and the account that recorded it. Never changed: a new one replaces it."""

    __tablename__ = "contact_consents"
    __table_args__ = (
        Index("ix_contact_consents_beneficiary_recorded", "beneficiary_id", "recorded_at"),
    )

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"))
    status: Mapped[ConsentStatus] = mapped_column(enum_column(ConsentStatus, "consent_status"))
    decided_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[ContactChannel] = mapped_column(enum_column(ContactChannel, "contact_channel"))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
