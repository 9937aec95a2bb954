"""ORM rows to response models."""

from collections.abc import Sequence

from veteran_care.clinical import icd10
from veteran_care.clinical.schemas import AmendmentRead, DiagnosisRead, ResultRead
from veteran_care.models import ExaminationResult, ResultAmendment


def result_read(result: ExaminationResult, amendments: Sequence[ResultAmendment]) -> ResultRead:
    return ResultRead(
        id=result.id,
        appointment_id=result.appointment_id,
        checkup_id=result.checkup_id,
        beneficiary_id=result.beneficiary_id,
        specialty_code=result.specialty_code,
        status=result.status,
        systolic_mmhg=result.systolic_mmhg,
        diastolic_mmhg=result.diastolic_mmhg,
        heart_rate_bpm=result.heart_rate_bpm,
        temperature_c=result.temperature_c,
        weight_kg=result.weight_kg,
        height_cm=result.height_cm,
        bmi=result.bmi,
        glucose_mmol_l=result.glucose_mmol_l,
        visual_acuity_left=result.visual_acuity_left,
        visual_acuity_right=result.visual_acuity_right,
        findings=result.findings,
        diagnoses=[
            DiagnosisRead(
                code=d.icd10_code, title=icd10.title(d.icd10_code) or "", principal=d.principal
            )
            for d in result.diagnoses
        ],
        amendments=[AmendmentRead.model_validate(a) for a in amendments],
        recorded_by=result.recorded_by,
        version=result.version,
        created_at=result.created_at,
        updated_at=result.updated_at,
    )
