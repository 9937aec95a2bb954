"""HTTP shapes of results, conclusions and the health timeline."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.clinical import examples as ex
from veteran_care.clinical.icd10 import CODE_PATTERN
from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
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
    """An ICD-10 diagnosis made at the appointment."""

    code: Icd10Code
    """ICD-10 (WHO) code, e.g. I10 (essential hypertension)."""
    principal: Bool | SkipJsonSchema[None] = None
    """The principal diagnosis of the result. A lone diagnosis is the principal one when this
    is left out; of several, mark exactly one `true`."""


def _below_systolic(diastolic: Decimal | int | None, info: ValidationInfo) -> Any:
    """diastolic_mmhg against systolic_mmhg (validated before it), named on its own field."""
    systolic = info.data.get("systolic_mmhg")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise InvalidValue("diastolic_mmhg must be below systolic_mmhg")
    return diastolic


def _one_principal(diagnoses: list[DiagnosisIn] | None) -> list[DiagnosisIn] | None:
    if not diagnoses:
        return diagnoses
    codes = [d.code for d in diagnoses]
    if len(set(codes)) != len(codes):
        raise InvalidValue("a diagnosis may be listed once")
    if len(diagnoses) == 1 and diagnoses[0].principal is None:
        diagnoses[0].principal = True
    if sum(d.principal is True for d in diagnoses) != 1:
        raise InvalidValue("mark exactly one diagnosis as principal")
    return diagnoses


class ResultRules(InputSchema):
    """The rules relating the fields of a result (and of a past check), each error named on its
    own field: diastolic below systolic, one principal diagnosis."""

    @field_validator("diastolic_mmhg", check_fields=False)
    @classmethod
    def _diastolic(cls, value: Any, info: ValidationInfo) -> Any:
        return _below_systolic(value, info)

    @field_validator("diagnoses", check_fields=False)
    @classmethod
    def _diagnoses(cls, value: list[DiagnosisIn] | None) -> list[DiagnosisIn] | None:
        return _one_principal(value)


class Vitals(ResultRules):
    """The measurements of an examination (a result, or a past check's record), each in its
    plausible range."""

    systolic_mmhg: Systolic | None = None
    """Systolic blood pressure, mmHg (50-300)."""
    diastolic_mmhg: Diastolic | None = None
    """Diastolic blood pressure, mmHg (20-200), below the systolic."""
    heart_rate_bpm: HeartRate | None = None
    """Heart rate, beats per minute (20-250)."""
    temperature_c: Temperature | None = None
    """Body temperature, °C (30-44)."""
    weight_kg: Weight | None = None
    """Weight, kg (15-300)."""
    height_cm: Height | None = None
    """Height, cm (90-230)."""
    glucose_mmol_l: Glucose | None = None
    """Blood glucose, mmol/L (1-50)."""
    visual_acuity_left: Acuity | None = None
    """Visual acuity of the left eye, decimal (10/10 = 1.0; 0-2)."""
    visual_acuity_right: Acuity | None = None
    """Visual acuity of the right eye, decimal (10/10 = 1.0; 0-2)."""


class ResultCreate(Vitals):
    """The result of one appointment (one specialty): vitals, findings and ICD-10 diagnoses;
    recording it fulfils the appointment. diastolic_mmhg, when sent with systolic_mmhg, is below
    it."""

    model_config = examples(ex.RESULT_CREATE)

    findings: Text4000 | None = Field(
        None, description="Free text: the ultrasound report, the ECG interpretation, ..."
    )
    diagnoses: list[DiagnosisIn] = Field(
        default_factory=list,
        max_length=20,
        description=DIAGNOSES_RULE,
    )


class ResultAmend(ResultRules):
    """Only the fields sent change; the previous values are kept with the reason. At least one
    field besides `reason` is sent. diastolic_mmhg stays below systolic_mmhg, sent or kept (422
    `validation-error` naming `body.diastolic_mmhg`)."""

    model_config = examples(ex.RESULT_AMEND, minProperties=2)

    reason: Line300
    """Why the result is corrected; kept with the previous values."""
    systolic_mmhg: Systolic | None = None
    """Systolic blood pressure (replaces the recorded value; null clears it)."""
    diastolic_mmhg: Diastolic | None = None
    """Diastolic blood pressure (replaces the recorded value; null clears it)."""
    heart_rate_bpm: HeartRate | None = None
    """Heart rate (replaces the recorded value; null clears it)."""
    temperature_c: Temperature | None = None
    """Body temperature (replaces the recorded value; null clears it)."""
    weight_kg: Weight | None = None
    """Weight (replaces the recorded value; null clears it)."""
    height_cm: Height | None = None
    """Height (replaces the recorded value; null clears it)."""
    glucose_mmol_l: Glucose | None = None
    """Blood glucose (replaces the recorded value; null clears it)."""
    visual_acuity_left: Acuity | None = None
    """Visual acuity of the left eye (replaces the recorded value; null clears it)."""
    visual_acuity_right: Acuity | None = None
    """Visual acuity of the right eye (replaces the recorded value; null clears it)."""
    findings: Text4000 | None = None
    """Free-text findings (replaces the recorded text)."""
    diagnoses: Annotated[list[DiagnosisIn], Field(max_length=20)] | SkipJsonSchema[None] = Field(
        None,
        description=f"Replaces the list when sent. {DIAGNOSES_RULE}",
    )

    @model_validator(mode="after")
    def _something(self) -> "ResultAmend":
        if self.model_fields_set <= {"reason"}:
            raise InvalidValue("nothing to amend")
        return self


class Retract(InputSchema):
    """Mark a result entered-in-error: why."""

    model_config = examples({"reason": "Nhập nhầm kết quả của bệnh nhân khác"})

    reason: Line300
    """Why the result is withdrawn; kept in the audit trail."""


class DiagnosisRead(Schema):
    """An ICD-10 diagnosis of a result."""

    code: str
    """ICD-10 code."""
    title: str
    """The code's title (English, WHO ICD-10)."""
    principal: bool
    """true for the main diagnosis of the result."""


class AmendmentRead(OutputSchema):
    """One correction of a result."""

    amended_at: datetime
    """When (UTC)."""
    amended_by: uuid.UUID | None
    """The account that corrected it."""
    reason: str
    """Why it was corrected."""
    previous: dict[str, Any]
    """The fields changed, with their values before the correction."""


class ResultRead(Schema):
    """The result of one appointment (FHIR Observations and Conditions): vitals, findings,
    diagnoses and their corrections."""

    model_config = examples(ex.RESULT_READ)

    id: uuid.UUID
    """The result's id."""
    appointment_id: uuid.UUID
    """The appointment it is the result of."""
    checkup_id: uuid.UUID
    """The checkup of that appointment."""
    beneficiary_id: uuid.UUID
    """The person examined."""
    specialty_code: str
    """The specialty of the appointment."""
    status: ResultStatus
    """final, amended (corrected since) or entered-in-error (withdrawn)."""
    systolic_mmhg: int | None
    """Systolic blood pressure, mmHg; null: not measured."""
    diastolic_mmhg: int | None
    """Diastolic blood pressure, mmHg; null: not measured."""
    heart_rate_bpm: int | None
    """Heart rate, beats per minute; null: not measured."""
    temperature_c: Decimal | None
    """Body temperature, °C; null: not measured."""
    weight_kg: Decimal | None
    """Weight, kg; null: not measured."""
    height_cm: Decimal | None
    """Height, cm; null: not measured."""
    bmi: Decimal | None = Field(description="Derived from weight and height.")
    glucose_mmol_l: Decimal | None
    """Blood glucose, mmol/L; null: not measured."""
    visual_acuity_left: Decimal | None
    """Visual acuity of the left eye, decimal; null: not measured."""
    visual_acuity_right: Decimal | None
    """Visual acuity of the right eye, decimal; null: not measured."""
    findings: str | None
    """Free-text findings: the ultrasound report, the ECG interpretation, ..."""
    diagnoses: list[DiagnosisRead]
    """ICD-10 diagnoses, the principal one marked."""
    amendments: list[AmendmentRead]
    """Corrections, oldest first."""
    recorded_by: uuid.UUID | None
    """The clinician's account."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class ConclusionIn(InputSchema):
    """The conclusion of a checkup (Circular 32/2023/TT-BYT): classification, conclusion, advice
    and follow-up."""

    model_config = examples(ex.CONCLUSION_IN)

    health_class: HealthClass
    """Health classification I (very good) to V (very poor)."""
    conclusion: Text4000 = Field(min_length=1)
    """The doctor's conclusion (free text)."""
    recommendations: Text4000 | None = None
    """Advice to the person: treatment, diet, referral, ..."""
    follow_up_on: Day | None = None
    """Day of the follow-up visit, if one is needed."""


class ConclusionRead(OutputSchema):
    """The conclusion of a checkup: health classification, conclusion, advice and follow-up."""

    checkup_id: uuid.UUID
    """The checkup concluded."""
    beneficiary_id: uuid.UUID
    """The person."""
    health_class: HealthClass
    """Health classification I (very good) to V (very poor)."""
    conclusion: str
    """The doctor's conclusion."""
    recommendations: str | None
    """Advice to the person."""
    follow_up_on: date | None
    """Day of the follow-up visit, if one is needed."""
    concluded_by: uuid.UUID | None
    """The clinician's account."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class LatestValue(Schema):
    """The latest measured value of a vital sign."""

    value: Decimal | int
    """The value, in the unit of the field it is named after (mmHg, kg, ...)."""
    measured_on: date
    """Day of the checkup that measured it."""


class TimelineCheckup(Schema):
    """One checkup in a person's health timeline."""

    checkup_id: uuid.UUID
    """The checkup."""
    date: date
    """Its day."""
    facility_id: uuid.UUID
    """Where."""
    status: str
    """The checkup's status (FHIR Encounter.status)."""
    conclusion: ConclusionRead | None
    """Its conclusion, once concluded."""
    results: list[ResultRead]
    """Its results, one per specialty examined."""


class TimelinePastCheck(Schema):
    """A check done before go-live, outside Veteran Care (historical), in a person's timeline."""

    past_check_id: uuid.UUID
    """The past check (`/beneficiaries/{id}/past-checks/{past_check_id}`)."""
    historical: Literal[True] = True
    """Always true: recorded at go-live from a paper record or an import."""
    date: date
    """Its day."""
    facility_id: uuid.UUID | None
    """Where, when one of our facilities."""
    place: str | None
    """Where, in words, when not one of our facilities."""
    health_class: HealthClass
    """Health classification I (very good) to V (very poor), as recorded."""


class Timeline(Schema):
    """A person's health over the years: checkups, checks done before go-live, classifications
    and latest vitals."""

    beneficiary_id: uuid.UUID
    """The person."""
    checkups: list[TimelineCheckup] = Field(description="Newest first.")
    past_checks: list[TimelinePastCheck] = Field(
        description="Checks done before go-live (historical), newest first; those entered in "
        "error left out."
    )
    classifications: list[dict[str, Any]] = Field(
        description="Health class over the years: [{date, health_class, historical}], oldest "
        "first; `historical` is true for a check done before go-live."
    )
    latest_vitals: dict[str, LatestValue]
    """Per vital sign (systolic_mmhg, weight_kg, ...), the latest value measured (by a check
    here or one done before go-live)."""
