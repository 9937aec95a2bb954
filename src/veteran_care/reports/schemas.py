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
    filters: dict[str, Any]
    """The filters applied, as given in the query."""
    group_by: list[str]
    """The columns that group the rows, in order."""
    figures: dict[str, str] = Field(description="What each figure counts (which statuses).")
    formula: str | None = None
    """How a derived figure is computed (the attendance rate), if the report has one."""
    rows: list[dict[str, Any]]
    """One object per group: the group_by columns, then the figures."""


class AttendancePerson(Schema):
    """A person behind an attendance figure: one checkup and what became of it."""

    checkup_id: uuid.UUID
    """The checkup."""
    date: date
    """Its day."""
    facility_id: uuid.UUID
    """Where."""
    beneficiary_id: uuid.UUID
    """The person."""
    full_name: str
    """Full name."""
    phone: str | None
    """Phone number, if known."""
    commune: str | None
    """Commune code of residence."""
    sex: str
    """Sex (FHIR AdministrativeGender)."""
    age_band: str | None
    """Age band by birth year (<70, 70-74, 75-79, ...)."""
    outcome: str
    """attended, noshow, pending, cancelled_by_patient or cancelled_by_facility."""
