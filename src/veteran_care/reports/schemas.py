"""HTTP shapes of the reports: a table of figures, and the people behind the attendance figures."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class ReportTable(BaseModel):
    report: str
    generated_at: datetime
    filters: dict[str, Any]
    group_by: list[str]
    figures: dict[str, str] = Field(description="What each figure counts (which statuses).")
    formula: str | None = None
    rows: list[dict[str, Any]]


class AttendancePerson(BaseModel):
    checkup_id: uuid.UUID
    date: date
    facility_id: uuid.UUID
    beneficiary_id: uuid.UUID
    full_name: str
    phone: str | None
    commune: str | None
    sex: str
    age_band: str | None
    outcome: str
