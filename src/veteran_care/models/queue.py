"""The queue of a drive day: a ticket per checked-in appointment, numbered per session."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.columns import IdMixin, UTCDateTime, enum_column


class TicketStatus(StrEnum):
    """waiting (in line), called (shown on the hall's display), served, or absent (called
    twice without coming: an absent ticket goes back in line once)."""

    waiting = "waiting"
    called = "called"
    served = "served"
    absent = "absent"


class QueueCounter(Base):
    """The last ticket number given in a session (taken by one conditional UPDATE)."""

    __tablename__ = "queue_counters"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class QueueTicket(IdMixin, Base):
    """One person's place in one specialty's line (one session) for one appointment."""

    __tablename__ = "queue_tickets"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"))
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), unique=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    specialty_code: Mapped[str] = mapped_column(ForeignKey("specialties.code"))
    date: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus, "ticket_status"), default=TicketStatus.waiting
    )
    # When the ticket (re)joined the line: the line is served in this order.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set when it was called once without the person coming and went back in line.
    requeued: Mapped[bool] = mapped_column(Boolean, default=False)
    called_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    desk: Mapped[str | None] = mapped_column(String(40), default=None)

    __table_args__ = (
        UniqueConstraint("session_id", "number"),
        Index("ix_queue_tickets_line", "session_id", "status", "queued_at"),
        Index("ix_queue_tickets_facility_date", "facility_id", "date"),
    )
