"""HTTP shapes of scheduling."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from veteran_care.kit.schemas import UNIQUE_ITEMS, Bool, Day, InputSchema, Int, OutputSchema
from veteran_care.kit.text import Line200, Line300
from veteran_care.kit.validation import check_date_range
from veteran_care.models import (
    AppointmentStatus,
    CancelledBy,
    CheckupStatus,
    PartOfDay,
    SessionStatus,
)

SpecialtyCode = Annotated[
    str, Field(pattern=r"^[a-z][a-z-]{1,39}$", max_length=40, examples=["ultrasound"])
]
Capacity = Annotated[Int, Field(ge=0, le=10000, examples=[30])]
CategoryCode = Annotated[str, Field(pattern=r"^[a-z][a-z-]{1,39}$", max_length=40)]
CommuneCode = Annotated[str, Field(pattern=r"^[0-9]{5}$", max_length=5)]
MAX_RANGE_DAYS = 366


class Slot(InputSchema):
    weekday: Annotated[Int, Field(ge=1, le=7, description="ISO weekday: Monday = 1.")]
    part_of_day: PartOfDay


class SlotOut(BaseModel):
    weekday: int
    part_of_day: PartOfDay


def _unique_slots(slots: list[Slot] | None) -> None:
    if slots is not None and len({(s.weekday, s.part_of_day) for s in slots}) != len(slots):
        raise ValueError("a timetable slot may be listed once")


class ServiceCreate(InputSchema):
    specialty_code: SpecialtyCode
    timetable: list[Slot] = Field(min_length=1, max_length=14, json_schema_extra=UNIQUE_ITEMS)
    default_capacity: Capacity

    @model_validator(mode="after")
    def _slots(self) -> "ServiceCreate":
        _unique_slots(self.timetable)
        return self


class ServiceUpdate(InputSchema):
    timetable: (
        Annotated[list[Slot], Field(min_length=1, max_length=14, json_schema_extra=UNIQUE_ITEMS)]
        | SkipJsonSchema[None]
    ) = None
    default_capacity: Capacity | SkipJsonSchema[None] = None
    active: Bool | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _slots(self) -> "ServiceUpdate":
        _unique_slots(self.timetable)
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ServiceRead(OutputSchema):
    id: uuid.UUID
    facility_id: uuid.UUID
    specialty_code: str
    timetable: list[SlotOut]
    default_capacity: int
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


def check_range(date_from: date, date_to: date) -> None:
    """For date ranges given as query parameters (a 422 naming the parameter)."""
    check_date_range(date_from, date_to, max_days=MAX_RANGE_DAYS)


class DateRange(InputSchema):
    date_from: Day
    date_to: Day

    @model_validator(mode="after")
    def _range(self) -> "DateRange":
        if self.date_to < self.date_from:
            raise ValueError("date_to must be on or after date_from")
        if (self.date_to - self.date_from).days >= MAX_RANGE_DAYS:
            raise ValueError(f"at most {MAX_RANGE_DAYS} days at a time")
        return self


class SessionGenerate(DateRange):
    facility_id: uuid.UUID
    specialty_codes: Annotated[list[SpecialtyCode], Field(max_length=20)] | None = Field(
        None, description="Only these services (default: every active one)."
    )


class SessionCreate(InputSchema):
    service_id: uuid.UUID
    date: Day
    part_of_day: PartOfDay
    capacity: Capacity | None = Field(None, description="Default: the service's capacity.")


class SessionUpdate(InputSchema):
    capacity: Capacity = Field(description="Never below the places already booked.")


class SessionCancel(InputSchema):
    reason: Line300


class SessionRead(OutputSchema):
    id: uuid.UUID
    service_id: uuid.UUID
    facility_id: uuid.UUID
    specialty_code: str
    date: date
    part_of_day: PartOfDay
    capacity: int
    booked: int
    places_left: int
    status: SessionStatus
    cancel_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class GenerateResult(BaseModel):
    created: int = Field(description="Sessions created by this call.")
    existing: int = Field(description="Sessions of the timetable that were already there.")


class PersonToCall(BaseModel):
    appointment_id: uuid.UUID
    checkup_id: uuid.UUID
    beneficiary_id: uuid.UUID
    full_name: str
    phone: str | None


class SessionCancelled(BaseModel):
    session: SessionRead
    people_to_call: list[PersonToCall]


class CheckupCreate(InputSchema):
    beneficiary_id: uuid.UUID
    facility_id: uuid.UUID
    date: Day
    specialty_codes: list[SpecialtyCode] = Field(
        min_length=1, max_length=20, json_schema_extra=UNIQUE_ITEMS
    )
    campaign_id: uuid.UUID | None = None
    part_of_day: PartOfDay | None = Field(None, description="Preferred; else any open session.")
    card_override_reason: Line300 | None = Field(
        None,
        description="Book although no health-insurance card is valid on the date (audited).",
    )

    @model_validator(mode="after")
    def _unique(self) -> "CheckupCreate":
        if len(set(self.specialty_codes)) != len(self.specialty_codes):
            raise ValueError("a specialty may be listed once")
        return self


class AppointmentRead(OutputSchema):
    id: uuid.UUID
    checkup_id: uuid.UUID
    session_id: uuid.UUID
    beneficiary_id: uuid.UUID
    facility_id: uuid.UUID
    specialty_code: str
    date: date
    status: AppointmentStatus
    cancelled_by: CancelledBy | None
    cancel_reason: str | None
    rescheduled_from_id: uuid.UUID | None
    rescheduled_to_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class CheckupRead(OutputSchema):
    id: uuid.UUID
    beneficiary_id: uuid.UUID
    facility_id: uuid.UUID
    campaign_id: uuid.UUID | None
    date: date
    status: CheckupStatus
    part_of_day: PartOfDay | None
    card_override_reason: str | None
    rescheduled_from_id: uuid.UUID | None
    appointments: list[AppointmentRead]
    version: int
    created_at: datetime
    updated_at: datetime


class Cancel(InputSchema):
    cancelled_by: CancelledBy
    reason: Line300


class Reschedule(InputSchema):
    date: Day
    part_of_day: PartOfDay | None = None
    cancelled_by: CancelledBy = CancelledBy.patient
    reason: Line300


# The statuses this operation sets; the others are refused with `use-another-operation` (a
# helpful message, so validation keeps the full enum and only the document says the subset).
TRANSITION_TARGETS = (
    AppointmentStatus.checked_in,
    AppointmentStatus.noshow,
    AppointmentStatus.entered_in_error,
)


class Transition(InputSchema):
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


class StatusChangeRead(OutputSchema):
    changed_at: datetime
    changed_by: uuid.UUID | None
    from_status: str | None
    to_status: str
    reason: str | None


class NoShowRun(InputSchema):
    before: Day | None = Field(None, description="Appointments before this date (default today).")
    facility_id: uuid.UUID | None = None


class NoShowResult(BaseModel):
    marked: int


class AvailableSession(BaseModel):
    session_id: uuid.UUID
    specialty_code: str
    part_of_day: PartOfDay
    capacity: int
    booked: int
    places_left: int


class AvailableDay(BaseModel):
    date: date
    sessions: list[AvailableSession]


class Availability(BaseModel):
    facility_id: uuid.UUID
    specialty_codes: list[str]
    days: list[AvailableDay]


class CampaignCreate(InputSchema):
    name: Line200
    starts_on: Day
    ends_on: Day
    facility_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=100, json_schema_extra=UNIQUE_ITEMS
    )
    target_categories: list[CategoryCode] = Field(
        min_length=1, max_length=10, json_schema_extra=UNIQUE_ITEMS
    )
    specialty_codes: list[SpecialtyCode] = Field(
        min_length=1, max_length=20, json_schema_extra=UNIQUE_ITEMS
    )

    @model_validator(mode="after")
    def _valid(self) -> "CampaignCreate":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must be on or after starts_on")
        for name in ("facility_ids", "target_categories", "specialty_codes"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} must not repeat")
        return self


class CampaignRead(OutputSchema):
    id: uuid.UUID
    name: str
    starts_on: date
    ends_on: date
    facility_ids: list[uuid.UUID]
    target_categories: list[str]
    specialty_codes: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class BulkSchedule(InputSchema):
    facility_id: uuid.UUID = Field(description="One of the campaign's facilities.")
    commune_codes: list[CommuneCode] = Field(default_factory=list, max_length=100)
    categories: list[CategoryCode] = Field(
        default_factory=list, max_length=10, description="Default: the campaign's targets."
    )
    limit: Annotated[Int, Field(ge=1, le=50000)] = 10000


class BulkBooked(BaseModel):
    beneficiary_id: uuid.UUID
    checkup_id: uuid.UUID
    date: date


class BulkNotBooked(BaseModel):
    beneficiary_id: uuid.UUID
    reason: str = Field(description="no-place-left, card-not-valid, already-booked-that-day, ...")


class BulkResult(BaseModel):
    booked: list[BulkBooked]
    not_booked: list[BulkNotBooked]


class DueEntry(BaseModel):
    beneficiary_id: uuid.UUID
    full_name: str
    commune_code: str | None
    registered_facility_id: uuid.UUID | None
    last_checked_on: date | None
    overdue: bool


class SpecialtyRead(OutputSchema):
    code: str
    name_vi: str
    name_en: str


class SpecialtyList(BaseModel):
    items: list[SpecialtyRead]
