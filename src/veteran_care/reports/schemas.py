"""HTTP shapes of the reports: a table of figures, and the people behind the attendance figures."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import Field

from veteran_care.kit.schemas import Schema


class ReportTable(Schema):
    """A report as a table: one row per group, with figures, and what each figure counts."""

    report: str
    """Which report: attendance, coverage, dispensing or health."""
    generated_at: datetime
    """When it was computed (UTC)."""
    data_as_of: datetime | None = None
    """Set when the figures come from a replica that is behind (decision 0056): the time its
    data is complete to. Unset: the data is current."""
    filters: dict[str, Any]
    """The filters applied, as given in the query."""
    group_by: list[str]
    """The columns that group the rows, in order."""
    figures: dict[str, str] = Field(
        description="What each figure counts (which statuses), in the language of "
        "`Accept-Language`; the keys are the figures' codes."
    )
    formula: str | None = None
    """How a derived figure is computed (the attendance rate), if the report has one, in the
    language of `Accept-Language`."""
    rows: list[dict[str, Any]]
    """One object per group: the group_by columns (each code with its name beside it,
    ``<group>_name``, in the language asked for), then the figures."""
    total: dict[str, Any] | None = None
    """The figures over all groups, counted once each (a person of two categories counts once
    here, in both category rows); the one row itself when the report is not grouped."""


class AttendancePerson(Schema):
    """A person behind an attendance figure: one checkup and what became of it."""

    checkup_id: uuid.UUID
    """The checkup."""
    date: date
    """Its day."""
    facility_id: uuid.UUID
    """Where."""
    facility_name: str
    """The facility's name."""
    beneficiary_id: uuid.UUID
    """The person."""
    full_name: str
    """Full name."""
    phone: str | None
    """Phone number, if known."""
    commune: str | None
    """Commune code of residence."""
    commune_name: str | None
    """Its name (2025 administrative units)."""
    sex: str
    """Sex (FHIR AdministrativeGender)."""
    age_band: str | None
    """Age band by birth year (<70, 70-74, 75-79, ...)."""
    outcome: str
    """attended, noshow, pending, cancelled_by_patient or cancelled_by_facility."""


class YearlySummary(Schema):
    """The yearly summary of periodic health checks, by category and by commune."""

    report: str
    """yearly-checks."""
    year: int
    """The calendar year summarised."""
    generated_at: datetime
    """When it was computed."""
    data_as_of: datetime | None = None
    """Set when the figures come from a replica that is behind (decision 0056): the time its
    data is complete to. Unset: the data is current."""
    figures: dict[str, str] = Field(
        description="What each figure counts, in the language of `Accept-Language`."
    )
    by_category: list[dict[str, Any]]
    """One row per category (`category`, `category_name`, then the figures); a person of
    several categories counts in each, a person of none under `no-category`."""
    by_commune: list[dict[str, Any]]
    """One row per commune of residence (`commune`, `commune_name`, then the figures)."""
    total: dict[str, Any]
    """The figures over everyone, each person counted once."""


class CardPerson(Schema):
    """A person behind a card coverage figure."""

    beneficiary_id: uuid.UUID
    """The person."""
    full_name: str
    """Full name."""
    birth_year: int
    """Year of birth."""
    sex: str
    """Sex (FHIR AdministrativeGender)."""
    phone: str | None
    """Phone number, if known (masked for those who may not see identifiers)."""
    commune: str | None
    """Commune code of residence."""
    commune_name: str | None
    """Its name (2025 administrative units)."""
    card_valid_to: date | None
    """The last day of the card valid today, if there is one."""
    card_ended_on: date | None
    """The last day of the latest card that ended before today, if any."""
