"""HTTP shapes of the waitlist: joining a full specialty's line, an entry as staff follow it."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from veteran_care.kit.examples import BENEFICIARY_ID, CHECKUP_ID, FACILITY_ID, SESSION_ID
from veteran_care.kit.schemas import CreatedAt, Day, InputSchema, OutputSchema, UpdatedAt, examples
from veteran_care.models import WaitlistStatus
from veteran_care.scheduling.schemas import SpecialtyCode

WAITLIST_ENTRY_ID = "0b8c3e1a-5d0f-4f7e-9a55-2c6d7e8f9a10"
JOIN: dict[str, Any] = {
    "beneficiary_id": BENEFICIARY_ID,
    "facility_id": FACILITY_ID,
    "specialty_code": "ultrasound",
    "date_from": "2027-07-26",
    "date_to": "2027-07-30",
}
ENTRY: dict[str, Any] = {
    **JOIN,
    "id": WAITLIST_ENTRY_ID,
    "status": "offered",
    "position": None,
    "offered_session_id": SESSION_ID,
    "hold_until": "2027-07-20T09:30:00Z",
    "checkup_id": None,
    "created_at": "2027-07-15T02:10:00Z",
    "updated_at": "2027-07-20T07:30:00Z",
}
MOST_DAYS = 92


class WaitlistJoin(InputSchema):
    """Wait for a place in a full specialty at a facility, on a day between two dates."""

    model_config = examples(JOIN)

    beneficiary_id: uuid.UUID
    """The person waiting; active."""
    facility_id: uuid.UUID
    """Where."""
    specialty_code: SpecialtyCode
    """The specialty (the facility's service) that is full."""
    date_from: Day
    """The first day that suits the person (today or later)."""
    date_to: Day | None = Field(
        None, description="The last day that suits them (default: `date_from` alone)."
    )


class WaitlistEntryRead(OutputSchema):
    """A person's place in a waitlist, and the place held for them when one was freed."""

    model_config = examples(ENTRY, {**ENTRY, "status": "booked", "checkup_id": CHECKUP_ID})

    id: uuid.UUID
    """The entry."""
    beneficiary_id: uuid.UUID
    """The person waiting."""
    facility_id: uuid.UUID
    """Where."""
    specialty_code: str
    """The specialty waited for."""
    date_from: Day
    """The first day that suits the person."""
    date_to: Day
    """The last day that suits them."""
    status: WaitlistStatus
    """waiting, offered (a place is held until `hold_until`), booked, lapsed, withdrawn."""
    position: int | None = None
    """While waiting: how many are ahead in the line, plus one (1: next to be offered)."""
    offered_session_id: uuid.UUID | None
    """The session whose place is (or was last) held for the person."""
    hold_until: datetime | None
    """Until when the place is held (UTC); then it goes to the next in line."""
    checkup_id: uuid.UUID | None
    """The checkup booked from the offer."""
    created_at: CreatedAt
    updated_at: UpdatedAt
