"""HTTP shapes of checkups and their appointments: booking, cancelling, rescheduling, status
changes and the no-show run."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, field_validator
from pydantic.json_schema import WithJsonSchema

from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    UNIQUE_ITEMS,
    CreatedAt,
    Day,
    InputSchema,
    OutputSchema,
    Schema,
    UpdatedAt,
    Version,
    examples,
)
from veteran_care.kit.text import Line300
from veteran_care.models import AppointmentStatus, CancelledBy, CheckupStatus, PartOfDay
from veteran_care.scheduling import examples as ex
from veteran_care.scheduling.schemas import SpecialtyCode


class CheckupCreate(InputSchema):
    """Book one person's periodic check: one appointment per specialty, the same day."""

    model_config = examples(ex.CHECKUP_CREATE)

    beneficiary_id: uuid.UUID
    """The person to check; not deceased."""
    facility_id: uuid.UUID
    """Where the check takes place."""
    date: Day
    """The day of the check; each specialty needs an open session with places that day."""
    specialty_codes: list[SpecialtyCode] = Field(
        min_length=1, max_length=20, json_schema_extra=UNIQUE_ITEMS
    )
    """The specialties the check includes, each booked into one of the facility's sessions."""
    campaign_id: uuid.UUID | None = None
    """The campaign (drive) the check belongs to, if any."""
    part_of_day: PartOfDay | None = Field(None, description="Preferred; else any open session.")
    card_override_reason: Line300 | None = Field(
        None,
        description="Book although no health-insurance card is valid on the date (audited).",
    )

    @field_validator("specialty_codes")
    @classmethod
    def _unique(cls, codes: list[str]) -> list[str]:
        if len(set(codes)) != len(codes):
            raise InvalidValue("a specialty may be listed once")
        return codes


class AppointmentRead(OutputSchema):
    """One specialty of a checkup, booked into one session (FHIR Appointment)."""

    id: uuid.UUID
    """The appointment's id."""
    checkup_id: uuid.UUID
    """The checkup it is part of."""
    session_id: uuid.UUID
    """The session it holds a place in."""
    beneficiary_id: uuid.UUID
    """The person."""
    facility_id: uuid.UUID
    """The facility."""
    specialty_code: str
    """The specialty."""
    date: date
    """The day."""
    status: AppointmentStatus
    cancelled_by: CancelledBy | None
    """Who cancelled it, when cancelled."""
    cancel_reason: str | None
    """Why it was cancelled, when cancelled."""
    rescheduled_from_id: uuid.UUID | None
    """The appointment this one replaces, when rescheduled."""
    rescheduled_to_id: uuid.UUID | None
    """The appointment that replaced this one, when rescheduled."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class CheckupRead(OutputSchema):
    """One periodic check of one person at one facility on one date (FHIR Encounter)."""

    model_config = examples(ex.CHECKUP_READ)

    id: uuid.UUID
    """The checkup's id."""
    beneficiary_id: uuid.UUID
    """The person checked."""
    facility_id: uuid.UUID
    """Where."""
    campaign_id: uuid.UUID | None
    """The campaign (drive) it belongs to, if any."""
    date: date
    """The day of the check."""
    status: CheckupStatus
    part_of_day: PartOfDay | None
    """The part of day asked for at booking, if one was."""
    card_override_reason: str | None
    """Why it was booked without a valid health-insurance card, if it was."""
    rescheduled_from_id: uuid.UUID | None
    """The checkup this one replaces, when rescheduled."""
    appointments: list[AppointmentRead]
    """One per specialty, including cancelled and replaced ones."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class Cancel(InputSchema):
    """Cancel an appointment or a whole checkup: who asked, and why."""

    model_config = examples({"cancelled_by": "patient", "reason": "Ốm, hẹn lại sau Tết"})

    cancelled_by: CancelledBy
    reason: Line300
    """Why, as told; kept with the appointment."""


class Reschedule(InputSchema):
    """Move a checkup to another day: its appointments are cancelled and new ones linked."""

    model_config = examples(ex.RESCHEDULE)

    date: Day
    """The new day; every specialty needs a session with places then."""
    part_of_day: PartOfDay | None = None
    """Preferred part of day on the new date; else any open session."""
    cancelled_by: CancelledBy = CancelledBy.patient
    """Who asked for the move (the old appointments are cancelled by them)."""
    reason: Line300
    """Why the check moves."""


# The statuses this operation sets; the others are refused with `use-another-operation` (a
# helpful message, so validation keeps the full enum and only the document says the subset).
TRANSITION_TARGETS = (
    AppointmentStatus.checked_in,
    AppointmentStatus.noshow,
    AppointmentStatus.entered_in_error,
)


class Transition(InputSchema):
    """Change an appointment's status: check the person in, mark a no-show or an error."""

    model_config = examples({"status": "checked-in"})

    status: Annotated[
        AppointmentStatus,
        WithJsonSchema(
            {
                "type": "string",
                "enum": [status.value for status in TRANSITION_TARGETS],
                "title": "TransitionStatus",
            }
        ),
    ] = Field(
        description="checked-in, noshow or entered-in-error here; cancel and reschedule have "
        "their own operations, and results fulfil an appointment."
    )
    reason: Line300 | None = None
    """Why; kept in the appointment's status history."""


class StatusChangeRead(OutputSchema):
    """One step of an appointment's status history."""

    changed_at: datetime
    """When the status changed (UTC)."""
    changed_by: uuid.UUID | None
    """The account that made the change; null for the system (e.g. the no-show run)."""
    from_status: str | None
    """The status before; null for the first booking."""
    to_status: str
    """The status after."""
    reason: str | None
    """The reason given, if any."""


class NoShowRun(InputSchema):
    """Mark every appointment still booked on a past day as a no-show."""

    model_config = examples(ex.NO_SHOW_RUN)

    before: Day | None = Field(
        None, description="Appointments before this date: today (the default) at the latest."
    )
    facility_id: uuid.UUID | None = None
    """Only this facility's appointments (default: all within the caller's scope)."""


class NoShowResult(Schema):
    """What the no-show run did."""

    marked: int
    """Appointments marked noshow by this call."""
