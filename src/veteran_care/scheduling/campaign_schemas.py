"""HTTP shapes of campaigns (đợt khám), bulk scheduling and the due list."""

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    UNIQUE_ITEMS,
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
from veteran_care.kit.text import Line200
from veteran_care.scheduling import examples as ex
from veteran_care.scheduling.schemas import SpecialtyCode

CategoryCode = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z-]{1,39}$", max_length=40),
    Field(
        description="A beneficiary category's code (`GET /beneficiary-categories`), e.g. veteran."
    ),
]
CommuneCode = Annotated[
    str,
    Field(pattern=r"^[0-9]{5}$", max_length=5),
    Field(description="5-digit national commune code (`GET /communes`)."),
]


class CampaignCreate(InputSchema):
    """A named drive of periodic checks: when, where, for whom and which specialties."""

    model_config = examples(ex.CAMPAIGN_CREATE)

    name: Line200
    """What staff call it, e.g. "Khám sức khỏe định kỳ 27/7/2027"."""
    starts_on: Day
    """First day of the drive."""
    ends_on: Day
    """Last day of the drive, on or after starts_on."""
    facility_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=100, json_schema_extra=UNIQUE_ITEMS
    )
    """The facilities that hold its checks."""
    target_categories: list[CategoryCode] = Field(
        min_length=1, max_length=10, json_schema_extra=UNIQUE_ITEMS
    )
    """The categories of people it is for (bulk scheduling's default)."""
    specialty_codes: list[SpecialtyCode] = Field(
        min_length=1, max_length=20, json_schema_extra=UNIQUE_ITEMS
    )
    """The specialties every check of the drive includes."""
    sponsor: Line200 | None = None
    """The sponsor who pays for the drive's medicines: when named, what its checks dispense
    comes from this sponsor's lots only (`funding_source: sponsor` with the same name)."""

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, ends_on: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and ends_on < starts_on:
            raise InvalidValue("ends_on must be on or after starts_on")
        return ends_on

    @field_validator("facility_ids", "target_categories", "specialty_codes")
    @classmethod
    def _no_repeats(cls, values: list[Any], info: ValidationInfo) -> list[Any]:
        if len(set(values)) != len(values):
            raise InvalidValue("{field_name} must not repeat", field_name=info.field_name)
        return values


class CampaignRead(OutputSchema):
    """A drive of periodic checks (đợt khám)."""

    model_config = examples(ex.CAMPAIGN_READ)

    id: uuid.UUID
    """The campaign's id."""
    name: str
    """Its name."""
    starts_on: date
    """First day."""
    ends_on: date
    """Last day."""
    facility_ids: list[uuid.UUID]
    """The facilities that hold its checks."""
    target_categories: list[str]
    """The categories of people it is for."""
    specialty_codes: list[str]
    """The specialties every check includes."""
    sponsor: str | None
    """The sponsor whose lots its medicines come from."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class BulkSchedule(InputSchema):
    """Book the due people of chosen communes and categories into a campaign's sessions at one
    facility: one day per person for all specialties, never twice, within every capacity."""

    model_config = examples(ex.BULK_SCHEDULE)

    facility_id: uuid.UUID = Field(description="One of the campaign's facilities.")
    commune_codes: list[CommuneCode] = Field(default_factory=list, max_length=100)
    """People living in these communes (default: every commune)."""
    categories: list[CategoryCode] = Field(
        default_factory=list, max_length=10, description="Default: the campaign's targets."
    )
    limit: Annotated[Int, Field(ge=1, le=50000)] = 10000
    """At most this many due people are considered, by commune and name."""


class BulkBooked(Schema):
    """A person booked by bulk scheduling."""

    beneficiary_id: uuid.UUID
    """The person."""
    checkup_id: uuid.UUID
    """The checkup booked for them."""
    date: date
    """The day of their check."""


class BulkNotBooked(Schema):
    """A due person bulk scheduling could not book, and why."""

    beneficiary_id: uuid.UUID
    """The person."""
    reason: str = Field(description="no-place-left, card-not-valid, already-booked-that-day, ...")


class BulkResult(Schema):
    """Who was booked and who could not be."""

    booked: list[BulkBooked]
    """The people booked, with their checkup and day."""
    not_booked: list[BulkNotBooked]
    """The due people left unbooked, each with the reason."""


class DueEntry(Schema):
    """A person due (or overdue) for a periodic check."""

    beneficiary_id: uuid.UUID
    """The person."""
    full_name: str
    """Full name (Vietnamese, NFC)."""
    commune_code: str | None
    """Commune of residence, if known."""
    registered_facility_id: uuid.UUID | None
    """The facility the person is registered with, if any."""
    last_checked_on: date | None
    """Day of the last fulfilled check; null: never checked."""
    overdue: bool
    """true: past the category's grace period after becoming due."""


DueState = Literal[
    "due", "overdue", "booked-ahead", "checked-within-interval", "not-active", "no-category"
]


class DueStatus(Schema):
    """One person and the due list today: due or not, why, since when, under which category."""

    beneficiary_id: uuid.UUID
    """The person."""
    status: DueState
    """`due` or `overdue`: on the due list. Not on it: `booked-ahead` (a check is booked from
    today on), `checked-within-interval`, `not-active` (deceased or moved away), `no-category`
    (no category, so no check interval)."""
    last_checked_on: date | None
    """Day of the last fulfilled check; null: never checked (then due, and overdue, from the
    start)."""
    due_since: date | None
    """The day the interval after the last check ran out (today or earlier: due; later: the
    day the person becomes due). Null when never checked."""
    overdue_since: date | None
    """The day the grace period after that ran out (or will). Null when never checked."""
    category_code: str | None
    """The category whose interval counts (the shortest of the person's); null without one."""
    check_interval_months: int | None
    """That category's check interval, in months."""
    booked_on: date | None
    """The next day with a booked (or checked-in) appointment, from today on."""
