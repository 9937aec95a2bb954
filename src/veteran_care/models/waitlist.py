"""The waitlist of a full specialty: people waiting for a place, and the place held for the
first of them when one is freed (decision 0050)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.columns import IdMixin, TimestampMixin, UTCDateTime, enum_column


class WaitlistStatus(StrEnum):
    """waiting (in line), offered (a place is held for the person until ``hold_until``),
    booked (the offer was taken: ``checkup_id``), lapsed (the hold ran out), withdrawn (the
    person left the line, or staff took them off)."""

    waiting = "waiting"
    offered = "offered"
    booked = "booked"
    lapsed = "lapsed"
    withdrawn = "withdrawn"


IN_LINE = (WaitlistStatus.waiting, WaitlistStatus.offered)


class WaitlistEntry(IdMixin, TimestampMixin, Base):
    """One person waiting for a place in one specialty at one facility, on a day between two
    dates. A held place is counted in its session's ``booked``: it is taken from the session
    like a booking's seat and given back (or to the next in line) when the hold ends."""

    __tablename__ = "waitlist_entries"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    specialty_code: Mapped[str] = mapped_column(ForeignKey("specialties.code"))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    status: Mapped[WaitlistStatus] = mapped_column(
        enum_column(WaitlistStatus, "waitlist_status"), default=WaitlistStatus.waiting
    )
    # The session whose place is (or was last) held for the person, and until when.
    offered_session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sessions.id"), default=None
    )
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    checkup_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checkups.id"), default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)

    __table_args__ = (
        CheckConstraint("date_from <= date_to", name="dates_in_order"),
        CheckConstraint(
            "status <> 'offered' OR (offered_session_id IS NOT NULL AND hold_until IS NOT NULL)",
            name="offer_has_place",
        ),
        # The line of a specialty, first come first served.
        Index("ix_waitlist_entries_line", "facility_id", "specialty_code", "status", "created_at"),
        Index("ix_waitlist_entries_hold_until", "status", "hold_until"),
        Index("ix_waitlist_entries_beneficiary_id", "beneficiary_id"),
        # A person stands once in a specialty's line at a facility.
        Index(
            "uq_waitlist_entries_in_line",
            "beneficiary_id",
            "facility_id",
            "specialty_code",
            unique=True,
            postgresql_where=text("status IN ('waiting', 'offered')"),
            sqlite_where=text("status IN ('waiting', 'offered')"),
        ),
    )
