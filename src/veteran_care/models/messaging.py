"""Messages to people (the outbox), each attempt to send one, and the editable templates."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.columns import (
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    enum_column,
)


class MessageKind(StrEnum):
    """Why a message is sent: a booking confirmed, a reminder (the early one, 7 days before by
    default, and the late one, 2 days), a cancellation, a cancelled session, a reschedule, a
    place offered from a waitlist."""

    confirmation = "confirmation"
    reminder_early = "reminder_early"
    reminder_late = "reminder_late"
    cancellation = "cancellation"
    session_cancelled = "session_cancelled"
    rescheduled = "rescheduled"
    waitlist_offer = "waitlist_offer"  # a place held for the first in a waitlist's line


REMINDERS = (MessageKind.reminder_early, MessageKind.reminder_late)


class MessageStatus(StrEnum):
    """pending (waiting to be sent, or for its next try), sent (the provider took it; for the
    printed list: on the list), failed (after the last try, or refused for good), cancelled
    (no longer to be sent: no recipient with consent, or the checkup changed)."""

    pending = "pending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class MessageChannel(StrEnum):
    """How it reaches the person: SMS, a Zalo ZNS template message, or the printed list of the
    commune health station."""

    sms = "sms"
    zalo = "zalo"
    printed = "printed"


class Message(TimestampMixin, Base):
    """One message in the outbox, written in the transaction of the change that causes it. Its
    id is the key a provider deduplicates on: a message sent again after a crash is the same
    message."""

    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "message_kind"))
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"))
    # What it is about: a checkup, or (a waitlist offer) a place held for someone waiting.
    checkup_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("checkups.id"), index=True, default=None
    )
    waitlist_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("waitlist_entries.id"), index=True, default=None
    )
    # Another recipient of the same message (a caregiver too): the message it was copied from.
    origin_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"), default=None)
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus, "message_status"), default=MessageStatus.pending
    )
    # Known once prepared (the worker's first claim): whom, how, and the text as sent.
    channel: Mapped[MessageChannel | None] = mapped_column(
        enum_column(MessageChannel, "message_channel"), default=None
    )
    recipient: Mapped[str | None] = mapped_column(String(40), default=None)
    recipient_name: Mapped[str | None] = mapped_column(String(200), default=None)
    body: Mapped[str | None] = mapped_column(Text, default=None)
    # The values put into the template (a Zalo ZNS template is filled by the provider).
    params: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A worker's claim, until a time: a worker killed mid-send leaves it to expire.
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(100), default=None)
    status_detail: Mapped[str | None] = mapped_column(String(500), default=None)

    __table_args__ = (
        CheckConstraint(
            "checkup_id IS NOT NULL OR waitlist_entry_id IS NOT NULL", name="about_something"
        ),
        Index("ix_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_messages_beneficiary_created_at", "beneficiary_id", "created_at"),
        # One reminder of each kind per checkup, whoever writes it and however often.
        Index(
            "uq_messages_reminder_per_checkup",
            "checkup_id",
            "kind",
            unique=True,
            postgresql_where=text(
                "origin_id IS NULL AND kind IN ('reminder_early', 'reminder_late')"
            ),
            sqlite_where=text("origin_id IS NULL AND kind IN ('reminder_early', 'reminder_late')"),
        ),
    )


class MessageAttempt(Base):
    """One try at sending a message, with the provider's answer."""

    __tablename__ = "message_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"), index=True)
    number: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))  # sent, retry, failed
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    answer: Mapped[str | None] = mapped_column(String(500), default=None)


class MessageTemplate(TimestampMixin, VersionedMixin, Base):
    """The text of a kind of message, as an admin last saved it (the built-in text otherwise)."""

    __tablename__ = "message_templates"

    kind: Mapped[MessageKind] = mapped_column(
        enum_column(MessageKind, "message_template_kind"), primary_key=True
    )
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class MessageReply(Base):
    """A person's SMS reply, as the gateway's inbound webhook delivered it, and what came of it:
    ``cancelled`` (HUY: the checkup cancelled, its places freed), ``confirmed`` (CO),
    ``logged`` (any other text, for a person to read) or ``unmatched`` (no message of ours was
    sent to that number, or its checkup is no longer planned)."""

    __tablename__ = "message_replies"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The gateway's id of the reply: a webhook delivered twice is recorded (and acted on) once.
    provider_id: Mapped[str] = mapped_column(String(100), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    phone: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(10))
    checkup_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checkups.id"), default=None)
    beneficiary_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("beneficiaries.id"), index=True, default=None
    )
