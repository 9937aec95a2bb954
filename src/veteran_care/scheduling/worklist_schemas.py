"""HTTP shapes of the worklist: contact attempts and the due list with each person's last one
(decision 0053)."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from veteran_care.beneficiaries.fields import PastDate
from veteran_care.kit.schemas import UNIQUE_ITEMS, Day, InputSchema, OutputSchema, Schema, examples
from veteran_care.kit.text import Line200, Line300
from veteran_care.models import AttemptChannel, AttemptOutcome, PartOfDay
from veteran_care.scheduling.schemas import SpecialtyCode

ATTEMPT_CREATE: dict[str, Any] = {
    "channel": "phone",
    "outcome": "will_come",
    "note": "Con trai sẽ đưa ông đi khám",
    "booking": {
        "facility_id": "5f1d7a8e-2b1c-4c1e-9a77-0e4f3c2b1a10",
        "date": "2027-07-27",
        "specialty_codes": ["internal-medicine", "ophthalmology"],
        "part_of_day": "morning",
    },
}
WorklistOutcome = Literal[
    "will_come",
    "call_later",
    "moved_away",
    "deceased",
    "wrong_number",
    "refuses",
    "no_answer",
    "not_contacted",
]


class AttemptBooking(InputSchema):
    """The checkup a "will come" books for the person (as `POST /checkups`)."""

    facility_id: uuid.UUID
    """The facility whose sessions (at home or at a venue) the check takes place in."""
    date: Day
    """The day of the check."""
    specialty_codes: list[SpecialtyCode] = Field(
        min_length=1, max_length=20, json_schema_extra=UNIQUE_ITEMS
    )
    """The specialties the check includes."""
    campaign_id: uuid.UUID | None = None
    """The drive it belongs to, if any."""
    part_of_day: PartOfDay | None = None
    """Preferred; else any open session."""


class ContactAttemptCreate(InputSchema):
    """One attempt to reach a person, and what came of it."""

    model_config = examples(ATTEMPT_CREATE)

    channel: AttemptChannel
    """phone, home-visit, sms, zalo or other."""
    outcome: AttemptOutcome
    """What came of it (see the operation's description)."""
    call_back_on: Day | None = Field(None, description="call_later only: the day to call again.")
    date_of_death: PastDate | None = Field(None, description="deceased only: required.")
    informant: Line200 | None = Field(
        None, description="Who gave the news, e.g. 'vợ ông An', 'trưởng bản'."
    )
    note: Line300 | None = None
    """Anything else worth knowing next time."""
    booking: AttemptBooking | None = Field(
        None, description="will_come: the checkup to book (or give checkup_id)."
    )
    checkup_id: uuid.UUID | None = Field(
        None, description="will_come: a checkup of the person already booked, to link."
    )


class ContactAttemptRead(OutputSchema):
    """An attempt to reach a person (append-only)."""

    id: uuid.UUID
    """The attempt's id."""
    beneficiary_id: uuid.UUID
    """The person."""
    attempted_at: datetime
    """When (UTC)."""
    attempted_by: uuid.UUID | None
    """The account that recorded it."""
    channel: AttemptChannel
    """How the person was reached (or not)."""
    outcome: AttemptOutcome
    """What came of it."""
    call_back_on: date | None
    """call_later: the day the person is back on the worklist."""
    informant: str | None
    """Who gave the news."""
    note: str | None
    """Anything else worth knowing next time."""
    checkup_id: uuid.UUID | None
    """will_come: the checkup booked or linked."""


class LastAttempt(Schema):
    """The latest attempt to reach a person."""

    id: uuid.UUID
    """The attempt's id."""
    attempted_at: datetime
    """When (UTC)."""
    attempted_by: uuid.UUID | None
    """The account that recorded it."""
    channel: AttemptChannel
    """How the person was reached (or not)."""
    outcome: AttemptOutcome
    """What came of it."""
    call_back_on: date | None
    """call_later: the day the person is back on the worklist."""
    note: str | None
    """The note recorded with it."""


class WorklistEntry(Schema):
    """A person of the due list, with the last attempt to reach them."""

    beneficiary_id: uuid.UUID
    """The person."""
    full_name: str
    """Full name (Vietnamese, NFC)."""
    birth_year: int
    """Year of birth."""
    phone: str | None
    """Masked for a caller who does not see identifiers."""
    commune_code: str | None
    """Commune of residence, if known."""
    address_line: str | None
    """Village, street, house number: where the village is read from."""
    last_checked_on: date | None
    """Day of the last check; null: never checked."""
    overdue: bool
    """true: past the category's grace period after becoming due."""
    last_attempt: LastAttempt | None
    """null: nobody has tried yet."""


VillageQuery = Annotated[
    Line200 | None,
    Field(
        description="Words of the address line (the registry keeps the village there, e.g. "
        "'Bản Mển'); case-insensitive."
    ),
]
