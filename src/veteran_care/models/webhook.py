"""Webhook subscriptions of other systems, the deliveries of events to them, and each attempt
(decision 0047)."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
from veteran_care.models.columns import TimestampMixin, UTCDateTime, VersionedMixin, enum_column


class WebhookEvent(StrEnum):
    """What another system can be told about."""

    checkup_booked = "checkup.booked"
    checkup_cancelled = "checkup.cancelled"
    appointment_status_changed = "appointment.status_changed"
    result_recorded = "result.recorded"
    dispense_recorded = "dispense.recorded"
    beneficiary_updated = "beneficiary.updated"


class WebhookDeliveryStatus(StrEnum):
    """pending (waiting for its turn or its next try), delivered (the receiver answered 2xx),
    failed (after the last try, or refused for good)."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookSubscription(TimestampMixin, VersionedMixin, Base):
    """A URL of another system and the events it wants, signed with its secret."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200), default=None)
    # The event names (WebhookEvent values) it receives.
    events: Mapped[list[str]] = mapped_column(JSON)
    # Names, birth year, dates and statuses in the events; ids only otherwise.
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The Standard Webhooks secret (whsec_ + base64): kept to sign, never shown after creation.
    secret: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class WebhookDelivery(Base):
    """One event for one subscription, written in the transaction of the change. ``seq`` orders
    the deliveries of one person's record: the next is not sent before the earlier one is
    delivered or has failed for good. ``id`` is the ``webhook-id`` the receiver deduplicates
    on; ``body`` is the JSON as sent, the same bytes at every try."""

    __tablename__ = "webhook_deliveries"

    # BigInteger on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event: Mapped[WebhookEvent] = mapped_column(enum_column(WebhookEvent, "webhook_event"))
    # What the order is kept within: the person the event is about.
    ordering_key: Mapped[uuid.UUID] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[WebhookDeliveryStatus] = mapped_column(
        enum_column(WebhookDeliveryStatus, "webhook_delivery_status"),
        default=WebhookDeliveryStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    status_detail: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription_seq", "subscription_id", "seq"),
        # The earlier deliveries still pending of the same person, for the same receiver.
        Index(
            "ix_webhook_deliveries_pending_order",
            "subscription_id",
            "ordering_key",
            "seq",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )


class WebhookAttempt(Base):
    """One try at delivering an event, with the receiver's answer."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    delivery_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("webhook_deliveries.seq", ondelete="CASCADE"),
        index=True,
    )
    number: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))  # delivered, retry, failed
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    answer: Mapped[str | None] = mapped_column(String(500), default=None)
