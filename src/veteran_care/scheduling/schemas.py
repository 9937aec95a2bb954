"""HTTP shapes of scheduling: services, sessions, availability and specialties (checkups and
appointments: checkup_schemas.py; campaigns and the due list: campaign_schemas.py)."""

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    UNIQUE_ITEMS,
    Bool,
    CreatedAt,
    Day,
    InputSchema,
    Int,
    OutputSchema,
    Schema,
    UpdatedAt,
    Version,
    examples,
)
from veteran_care.kit.text import Line300
from veteran_care.kit.validation import check_date_range
from veteran_care.models import PartOfDay, SessionStatus
from veteran_care.scheduling import examples as ex
from veteran_care.scheduling.closing_schemas import (
    Bookings,
    PersonMoved,
    PersonNotMoved,
    PersonToCall,
    Unmovable,
)

SpecialtyCode = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z-]{1,39}$", max_length=40, examples=["ultrasound"]),
    Field(description="A specialty's code (`GET /specialties`), e.g. ultrasound."),
]
Capacity = Annotated[Int, Field(ge=0, le=10000, examples=[30])]
MAX_RANGE_DAYS = 366


class Slot(InputSchema):
    """One weekly opening of a service: a weekday and a part of the day."""

    weekday: Annotated[Int, Field(ge=1, le=7, description="ISO weekday: Monday = 1.")]
    part_of_day: PartOfDay


class SlotOut(Schema):
    """One weekly opening of a service: a weekday and a part of the day."""

    weekday: int
    """ISO weekday: Monday = 1, Sunday = 7."""
    part_of_day: PartOfDay


def _unique_slots(slots: list[Slot] | None) -> list[Slot] | None:
    if slots is not None and len({(s.weekday, s.part_of_day) for s in slots}) != len(slots):
        raise InvalidValue("a timetable slot may be listed once")
    return slots


class ServiceCreate(InputSchema):
    """A specialty offered at a facility, with its weekly timetable."""

    model_config = examples(ex.SERVICE_CREATE)

    specialty_code: SpecialtyCode
    timetable: list[Slot] = Field(min_length=1, max_length=14, json_schema_extra=UNIQUE_ITEMS)
    """The weekly slots in which sessions of this service are held."""
    default_capacity: Capacity
    """Places of a session made from the timetable (people per half day)."""

    @field_validator("timetable")
    @classmethod
    def _slots(cls, value: list[Slot]) -> list[Slot] | None:
        return _unique_slots(value)


class ServiceUpdate(InputSchema):
    """Partial update of a service: only the fields present change. Needs If-Match."""

    model_config = examples(ex.SERVICE_UPDATE)

    timetable: (
        Annotated[list[Slot], Field(min_length=1, max_length=14, json_schema_extra=UNIQUE_ITEMS)]
        | SkipJsonSchema[None]
    ) = None
    """Replaces the weekly timetable (sessions already made keep their day)."""
    default_capacity: Capacity | SkipJsonSchema[None] = None
    """Places of sessions made from now on."""
    active: Bool | SkipJsonSchema[None] = None
    """false: no new sessions are made for the service."""

    @field_validator("timetable")
    @classmethod
    def _slots(cls, value: list[Slot] | None) -> list[Slot] | None:
        return _unique_slots(value)

    @model_validator(mode="after")
    def _not_null(self) -> "ServiceUpdate":
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise InvalidValue("{name} cannot be null", name=name)
        return self


class ServiceRead(OutputSchema):
    """A specialty offered at a facility: its weekly timetable and default capacity."""

    id: uuid.UUID
    """The service's id."""
    facility_id: uuid.UUID
    """The facility that offers it."""
    specialty_code: str
    """The specialty offered (`GET /specialties`)."""
    timetable: list[SlotOut]
    """The weekly slots in which its sessions are held."""
    default_capacity: int
    """Places of a session made from the timetable."""
    active: bool
    """false: no new sessions are made for it."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


def check_range(date_from: date, date_to: date) -> None:
    """For date ranges given as query parameters (a 422 naming the parameter)."""
    check_date_range(date_from, date_to, max_days=MAX_RANGE_DAYS)


class DateRange(InputSchema):
    date_from: Day
    """First day, included."""
    date_to: Day
    """Last day, included: on or after date_from, at most 366 days after it."""

    @field_validator("date_to")
    @classmethod
    def _range(cls, date_to: date, info: ValidationInfo) -> date:
        date_from = info.data.get("date_from")
        if date_from is not None and date_to < date_from:
            raise InvalidValue("date_to must be on or after date_from")
        if date_from is not None and (date_to - date_from).days >= MAX_RANGE_DAYS:
            raise InvalidValue("at most {max_days} days at a time", max_days=MAX_RANGE_DAYS)
        return date_to


class SessionGenerate(DateRange):
    """Make a facility's sessions for a date range from its services' timetables."""

    model_config = examples(ex.SESSION_GENERATE)

    facility_id: uuid.UUID
    """The facility whose services' timetables are followed."""
    specialty_codes: Annotated[list[SpecialtyCode], Field(max_length=20)] | None = Field(
        None, description="Only these services (default: every active one)."
    )
    skip_public_holidays: Bool = True
    """No sessions on Vietnam's public holidays (Tết and the Hùng Kings' day by the lunar
    calendar, the days off in lieu); false for a facility that works on them. The facility's
    own closed days are skipped either way."""


class SessionCreate(InputSchema):
    """One session made by hand, outside the timetable (e.g. a Saturday drive)."""

    model_config = examples(ex.SESSION_CREATE)

    service_id: uuid.UUID
    """The facility's service (specialty) the session is of."""
    date: Day
    """The day of the session."""
    part_of_day: PartOfDay
    capacity: Capacity | None = Field(None, description="Default: the service's capacity.")


class SessionUpdate(InputSchema):
    """A session's new capacity. Needs If-Match."""

    model_config = examples({"capacity": 40})

    capacity: Capacity = Field(description="Never below the places already booked.")


class SessionCancel(InputSchema):
    """Why a session is cancelled: its appointments are cancelled by the facility."""

    model_config = examples({"reason": "Bác sĩ siêu âm đi tập huấn, lùi sang tuần sau"})

    reason: Line300
    """Shown to staff and kept with each cancelled appointment."""
    bookings: Bookings = Bookings.cancel
    """`cancel` (the default): everyone booked is cancelled and told; `move`: each moved to
    the next day with places (decision 0051)."""
    unmovable: Unmovable = Unmovable.cancel
    """With `bookings: move`: cancel, or leave booked, someone who cannot be moved."""


class SessionRead(OutputSchema):
    """One service on one date and part of day, with its places."""

    model_config = examples(ex.SESSION_READ)

    id: uuid.UUID
    """The session's id."""
    service_id: uuid.UUID
    """The facility's service the session is of."""
    facility_id: uuid.UUID
    """The facility whose service (staff, scope, stock) it is."""
    venue_id: uuid.UUID | None
    """The venue (a commune hall, a school) its visiting team holds it at; null: at the
    facility."""
    specialty_code: str
    """The service's specialty."""
    date: date
    """The day of the session."""
    part_of_day: PartOfDay
    capacity: int
    """Places in all; never below `booked`."""
    booked: int
    """Places taken by appointments (booked, checked in, fulfilled or missed)."""
    places_left: int
    """capacity - booked."""
    status: SessionStatus
    cancel_reason: str | None
    """Why it was cancelled; null unless cancelled."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class SkippedDay(Schema):
    """A day of the timetable on which no session was made: the facility is closed."""

    date: Day
    """The day."""
    kind: Literal["public-holiday", "facility"]
    """A public holiday (Tết, the Hùng Kings' day, … with the days off in lieu), or a day the
    facility closed (`PUT /facilities/{facility_id}/closed-days/{date}`)."""
    reason: str
    """The holiday's Vietnamese name, or the facility's reason."""


class GenerateResult(Schema):
    """What generating sessions did (a second call with the same range creates none)."""

    created: int = Field(description="Sessions created by this call.")
    existing: int = Field(description="Sessions of the timetable that were already there.")
    skipped: list[SkippedDay] = Field(
        description="Days of the timetable left without sessions: the facility is closed."
    )


class ClosedDayIn(InputSchema):
    """Why a facility holds no sessions on a day."""

    model_config = examples({"reason": "Kiểm kê thuốc cuối năm"})

    reason: Line300
    """Why, in words staff read, e.g. "Kiểm kê thuốc cuối năm"."""


class ClosedDay(Schema):
    """A day without sessions at a facility."""

    date: Day
    """The day."""
    kind: Literal["public-holiday", "facility"]
    """A public holiday, or a day the facility closed."""
    reason: str
    """The holiday's Vietnamese name, or the facility's reason."""


class ClosedDayList(Schema):
    """A facility's closed days in a range, by date."""

    items: list[ClosedDay]
    """The days."""


class SessionCancelled(Schema):
    """The cancelled session (closed when someone was left booked in it), and the people."""

    session: SessionRead
    """The session, now cancelled."""
    people_to_call: list[PersonToCall]
    """Everyone whose appointment it cancelled."""
    moved: list[PersonMoved] = Field(default_factory=list)
    """With `bookings: move`: everyone moved, with their new day."""
    not_moved: list[PersonNotMoved] = Field(default_factory=list)
    """With `bookings: move`: everyone who could not be moved."""


class AvailableSession(Schema):
    """A session with places, on a day of availability."""

    session_id: uuid.UUID
    """The session."""
    specialty_code: str
    """Its specialty."""
    part_of_day: PartOfDay
    capacity: int
    """Places in all."""
    booked: int
    """Places taken."""
    places_left: int
    """capacity - booked."""


class AvailableDay(Schema):
    """A day on which every specialty asked for has a session with places."""

    date: date
    """The day."""
    sessions: list[AvailableSession]
    """The open sessions with places that day, for the specialties asked for."""


class Availability(Schema):
    """The days on which a facility can take a whole check of the given specialties."""

    facility_id: uuid.UUID
    """The facility."""
    specialty_codes: list[str]
    """The specialties asked for."""
    days: list[AvailableDay]
    """The days with places for all of them, earliest first."""


class SpecialtyRead(OutputSchema):
    """A medical specialty of the periodic check (reference data)."""

    code: str
    """Stable English code, e.g. ultrasound."""
    name_vi: str
    """Vietnamese name, e.g. Siêu âm."""
    name_en: str
    """English name, e.g. Ultrasound."""


class SpecialtyList(Schema):
    """Every specialty, in the order of the check."""

    items: list[SpecialtyRead]
    """The specialties."""
