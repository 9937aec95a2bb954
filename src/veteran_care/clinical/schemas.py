"""HTTP shapes of results, conclusions and the health timeline."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.clinical.icd10 import CODE_PATTERN
from veteran_care.kit.schemas import Bool, Day, InputSchema, Int, OutputSchema
from veteran_care.kit.text import Line300, Text4000
from veteran_care.models import HealthClass, ResultStatus

# Plausible ranges: a value outside is a typing error, refused with the field named.
Systolic = Annotated[Int, Field(ge=50, le=300, description="mmHg")]
Diastolic = Annotated[Int, Field(ge=20, le=200, description="mmHg")]
HeartRate = Annotated[Int, Field(ge=20, le=250, description="beats per minute")]
Temperature = Annotated[float, Strict(), Field(ge=30, le=44, description="°C")]
Weight = Annotated[float, Strict(), Field(ge=15, le=300, description="kg")]
Height = Annotated[float, Strict(), Field(ge=90, le=230, description="cm")]
Glucose = Annotated[float, Strict(), Field(ge=1, le=50, description="mmol/L")]
Acuity = Annotated[
    float, Strict(), Field(ge=0, le=2, description="decimal visual acuity (10/10 = 1.0)")
]
Icd10Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=8, examples=["I10"])]

VITALS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "temperature_c",
    "weight_kg",
    "height_cm",
    "glucose_mmol_l",
    "visual_acuity_left",
    "visual_acuity_right",
)


DIAGNOSES_RULE = (
    "ICD-10 diagnoses, each listed once (422 `unknown-icd10-code` for a code that is "
    "well-formed but not in ICD-10): a lone one is principal unless marked otherwise; of "
    "several, exactly one is marked `principal: true`."
)


class DiagnosisIn(InputSchema):
    code: Icd10Code
    principal: Bool | SkipJsonSchema[None] = Field(
        None,
        description="The principal diagnosis of the result. A lone diagnosis is the principal "
        "one when this is left out; of several, mark exactly one `true`.",
    )


def _check(data: Any) -> None:
    systolic, diastolic = data.systolic_mmhg, data.diastolic_mmhg
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise ValueError("diastolic_mmhg must be below systolic_mmhg")
    diagnoses = data.diagnoses
    if diagnoses:
        codes = [d.code for d in diagnoses]
        if len(set(codes)) != len(codes):
            raise ValueError("a diagnosis may be listed once")
        if len(diagnoses) == 1 and diagnoses[0].principal is None:
            diagnoses[0].principal = True
        if sum(d.principal is True for d in diagnoses) != 1:
            raise ValueError("mark exactly one diagnosis as principal")


class ResultCreate(InputSchema):
    """Vitals, findings and diagnoses of one appointment; diastolic_mmhg, when sent with
    systolic_mmhg, is below it."""

    systolic_mmhg: Systolic | None = None
    diastolic_mmhg: Diastolic | None = None
    heart_rate_bpm: HeartRate | None = None
    temperature_c: Temperature | None = None
    weight_kg: Weight | None = None
    height_cm: Height | None = None
    glucose_mmol_l: Glucose | None = None
    visual_acuity_left: Acuity | None = None
    visual_acuity_right: Acuity | None = None
    findings: Text4000 | None = Field(
        None, description="Free text: the ultrasound report, the ECG interpretation, ..."
    )
    diagnoses: list[DiagnosisIn] = Field(
        default_factory=list,
        max_length=20,
        description=DIAGNOSES_RULE,
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ResultCreate":
        _check(self)
        return self


class ResultAmend(InputSchema):
    """Only the fields sent change; the previous values are kept with the reason. At least one
    field besides `reason` is sent. diastolic_mmhg stays below systolic_mmhg, sent or kept (422
    `validation-error` naming `body.diastolic_mmhg`)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 2})

    reason: Line300
    systolic_mmhg: Systolic | None = None
    diastolic_mmhg: Diastolic | None = None
    heart_rate_bpm: HeartRate | None = None
    temperature_c: Temperature | None = None
    weight_kg: Weight | None = None
    height_cm: Height | None = None
    glucose_mmol_l: Glucose | None = None
    visual_acuity_left: Acuity | None = None
    visual_acuity_right: Acuity | None = None
    findings: Text4000 | None = None
    diagnoses: Annotated[list[DiagnosisIn], Field(max_length=20)] | SkipJsonSchema[None] = Field(
        None,
        description=f"Replaces the list when sent. {DIAGNOSES_RULE}",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ResultAmend":
        _check(self)
        if self.model_fields_set <= {"reason"}:
            raise ValueError("nothing to amend")
        return self


class Retract(InputSchema):
    reason: Line300


class DiagnosisRead(BaseModel):
    code: str
    title: str
    principal: bool


class AmendmentRead(OutputSchema):
    amended_at: datetime
    amended_by: uuid.UUID | None
    reason: str
    previous: dict[str, Any]


class ResultRead(BaseModel):
    id: uuid.UUID
    appointment_id: uuid.UUID
    checkup_id: uuid.UUID
    beneficiary_id: uuid.UUID
    specialty_code: str
    status: ResultStatus
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_bpm: int | None
    temperature_c: Decimal | None
    weight_kg: Decimal | None
    height_cm: Decimal | None
    bmi: Decimal | None = Field(description="Derived from weight and height.")
    glucose_mmol_l: Decimal | None
    visual_acuity_left: Decimal | None
    visual_acuity_right: Decimal | None
    findings: str | None
    diagnoses: list[DiagnosisRead]
    amendments: list[AmendmentRead]
    recorded_by: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class ConclusionIn(InputSchema):
    health_class: HealthClass
    conclusion: Text4000 = Field(min_length=1)
    recommendations: Text4000 | None = None
    follow_up_on: Day | None = None


class ConclusionRead(OutputSchema):
    checkup_id: uuid.UUID
    beneficiary_id: uuid.UUID
    health_class: HealthClass
    conclusion: str
    recommendations: str | None
    follow_up_on: date | None
    concluded_by: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class LatestValue(BaseModel):
    value: Decimal | int
    measured_on: date


class TimelineCheckup(BaseModel):
    checkup_id: uuid.UUID
    date: date
    facility_id: uuid.UUID
    status: str
    conclusion: ConclusionRead | None
    results: list[ResultRead]


class Timeline(BaseModel):
    beneficiary_id: uuid.UUID
    checkups: list[TimelineCheckup] = Field(description="Newest first.")
    classifications: list[dict[str, Any]] = Field(
        description="Health class over the years: [{date, health_class}], oldest first."
    )
    latest_vitals: dict[str, LatestValue]
