"""HTTP shapes of past checks (periodic checks done before go-live, outside Veteran Care)."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from veteran_care.clinical.schemas import (
    DIAGNOSES_RULE,
    DiagnosisIn,
    DiagnosisRead,
    Vitals,
)
from veteran_care.kit.schemas import (
    CreatedAt,
    Day,
    OutputSchema,
    UpdatedAt,
    Version,
    examples,
)
from veteran_care.kit.text import Line200
from veteran_care.models import HealthClass, PastCheckSource, PastCheckStatus

PAST_CHECK_CREATE: dict[str, Any] = {
    "date": "2026-04-20",
    "place": "Bệnh viện Quân y 6, Sơn La",
    "health_class": "II",
    "systolic_mmhg": 135,
    "diastolic_mmhg": 85,
    "weight_kg": 58.5,
    "height_cm": 162.0,
    "diagnoses": [{"code": "I10"}],
}


class PastCheckCreate(Vitals):
    """A periodic check done before go-live, outside Veteran Care (from a paper record): its
    day (not in the future, not before the person's birth), where (`facility_id` of one of our
    facilities, or `place` in words: one of the two), the health class and, when the record has
    them, vitals and ICD-10 diagnoses."""

    model_config = examples(PAST_CHECK_CREATE)

    date: Day
    """Day of the check: today or before, not before the person's birth (nor after a death)."""
    facility_id: uuid.UUID | None = None
    """Where, when it was one of our facilities (422 `unknown-facility` for no such one)."""
    place: Line200 | None = None
    """Where, in words, when it was not one of our facilities."""
    health_class: HealthClass
    """Health classification I (very good) to V (very poor), as the record says."""
    diagnoses: list[DiagnosisIn] = Field(
        default_factory=list, max_length=20, description=DIAGNOSES_RULE
    )


class PastCheckRead(OutputSchema):
    """A past periodic check: historical, recorded at go-live from a paper record or an import.
    Counted as the person's last check by the due list and the coverage report; never in
    attendance figures."""

    id: uuid.UUID
    """The past check's id."""
    beneficiary_id: uuid.UUID
    """The person checked."""
    historical: Literal[True] = True
    """Always true: a check done before go-live, outside Veteran Care."""
    date: date
    """Day of the check."""
    facility_id: uuid.UUID | None
    """Where, when one of our facilities; else `place`."""
    place: str | None
    """Where, in words, when not one of our facilities."""
    health_class: HealthClass
    """Health classification I (very good) to V (very poor)."""
    systolic_mmhg: int | None
    """Systolic blood pressure, mmHg; null: not recorded."""
    diastolic_mmhg: int | None
    """Diastolic blood pressure, mmHg; null: not recorded."""
    heart_rate_bpm: int | None
    """Heart rate, beats per minute; null: not recorded."""
    temperature_c: Decimal | None
    """Body temperature, °C; null: not recorded."""
    weight_kg: Decimal | None
    """Weight, kg; null: not recorded."""
    height_cm: Decimal | None
    """Height, cm; null: not recorded."""
    bmi: Decimal | None
    """Derived from weight and height; null when either is missing."""
    glucose_mmol_l: Decimal | None
    """Blood glucose, mmol/L; null: not recorded."""
    visual_acuity_left: Decimal | None
    """Visual acuity of the left eye, decimal; null: not recorded."""
    visual_acuity_right: Decimal | None
    """Visual acuity of the right eye, decimal; null: not recorded."""
    diagnoses: list[DiagnosisRead]
    """ICD-10 diagnoses, the principal one marked."""
    status: PastCheckStatus
    """final, or entered-in-error (withdrawn: no longer counted anywhere)."""
    error_reason: str | None
    """Why it was withdrawn, when entered-in-error."""
    source: PastCheckSource
    """api (typed in) or import (a row of a beneficiary import)."""
    recorded_by: uuid.UUID | None
    """The account that recorded it."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt
