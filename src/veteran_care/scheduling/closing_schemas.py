"""HTTP shapes of closing a booked day or session: what to do with the people booked, and what
became of each of them."""

import uuid
from datetime import date
from enum import StrEnum

from pydantic import Field

from veteran_care.kit.examples import BENEFICIARY_ID, CHECKUP_ID, SESSION_ID
from veteran_care.kit.schemas import Day, InputSchema, Schema, examples
from veteran_care.kit.text import Line300
from veteran_care.models import PartOfDay, SessionStatus


class Bookings(StrEnum):
    """What happens to the people booked: ``move`` each to the next day with places (same
    facility and specialties, the calendar respected), or ``cancel`` them."""

    move = "move"
    cancel = "cancel"


class Unmovable(StrEnum):
    """A person who cannot be moved (no day with places within 90 days, their card, another
    booking that day): ``cancel`` them, or ``leave`` them booked for staff to call (their
    session is then closed to new bookings rather than cancelled)."""

    cancel = "cancel"
    leave = "leave"


class PersonToCall(Schema):
    """Someone whose appointment a cancelled session cancelled: to be told."""

    appointment_id: uuid.UUID
    """The appointment that was cancelled."""
    checkup_id: uuid.UUID
    """The checkup it belonged to."""
    beneficiary_id: uuid.UUID
    """The person."""
    full_name: str
    """The person's full name (Vietnamese, NFC)."""
    phone: str | None
    """The person's phone (digits, optional leading +), if known."""


class DayClose(InputSchema):
    """Close a facility on a day that has bookings, and move or cancel everyone booked."""

    model_config = examples(
        {"date": "2027-07-27", "reason": "Mất điện cả ngày", "bookings": "move"},
        {"date": "2027-07-27", "reason": "Mất điện", "bookings": "move", "unmovable": "leave"},
    )

    date: Day
    """The day to close."""
    reason: Line300
    """Why: kept as the closed day's reason and with each cancelled appointment."""
    bookings: Bookings
    unmovable: Unmovable = Unmovable.cancel
    """What happens to someone who cannot be moved (with `bookings: move`)."""


class PersonMoved(Schema):
    """Someone moved to another day (told by the reschedule notice)."""

    checkup_id: uuid.UUID
    """The checkup on the closed day, now cancelled."""
    new_checkup_id: uuid.UUID
    """The checkup booked on the new day, linked to the old one."""
    new_date: date
    """The day they were moved to."""
    beneficiary_id: uuid.UUID
    """The person."""
    full_name: str
    """The person's full name (Vietnamese, NFC)."""
    phone: str | None
    """The person's phone, if known."""


class PersonNotMoved(Schema):
    """Someone who could not be moved: cancelled (told by the cancellation notice), or left
    booked for staff to call, as asked."""

    checkup_id: uuid.UUID
    """The checkup on the closed day."""
    beneficiary_id: uuid.UUID
    """The person."""
    full_name: str
    """The person's full name (Vietnamese, NFC)."""
    phone: str | None
    """The person's phone, if known."""
    reason: str
    """Why: `no-day-with-places`, `checked-in`, or the booking's refusal (`card-not-valid`,
    `already-booked`, ...)."""
    cancelled: bool
    """True: cancelled; false: still booked on the closed day."""


class ClosedSession(Schema):
    """A session of the closed day (or the cancelled session), and what became of it."""

    session_id: uuid.UUID
    """The session."""
    specialty_code: str
    """Its specialty."""
    part_of_day: PartOfDay
    status: SessionStatus
    """`cancelled`, or `closed` when someone was left booked in it."""


class Closure(Schema):
    """What closing did to each session and each person booked."""

    sessions: list[ClosedSession] = Field(default_factory=list)
    """Each session closed, cancelled or (someone left booked in it) closed."""
    moved: list[PersonMoved] = Field(default_factory=list)
    """Everyone moved, with their new day."""
    not_moved: list[PersonNotMoved] = Field(default_factory=list)
    """Everyone who could not be moved (empty when the bookings were cancelled)."""
    cancelled: list[PersonToCall] = Field(default_factory=list)
    """Everyone whose appointment was cancelled."""


class DayClosed(Closure):
    """The closed day, and what became of its sessions and the people booked."""

    model_config = examples(
        {
            "date": "2027-07-27",
            "reason": "Mất điện cả ngày",
            "sessions": [
                {
                    "session_id": SESSION_ID,
                    "specialty_code": "ultrasound",
                    "part_of_day": "morning",
                    "status": "cancelled",
                }
            ],
            "moved": [
                {
                    "checkup_id": CHECKUP_ID,
                    "new_checkup_id": "5b1e7c2a-3d4f-4e8a-9b0c-1d2e3f4a5b6c",
                    "new_date": "2027-07-28",
                    "beneficiary_id": BENEFICIARY_ID,
                    "full_name": "Nguyễn Văn An",
                    "phone": "0912345678",
                }
            ],
            "not_moved": [],
            "cancelled": [],
        }
    )

    date: date
    """The day closed."""
    reason: str
    """Why, as the closed day keeps it."""
