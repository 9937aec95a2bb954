"""Checkups, appointments, results, diagnoses and dispenses as FHIR resources: Encounter,
Appointment, Observation, Condition, MedicationDispense. Pure functions of rows (no queries)."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from veteran_care.clinical import icd10
from veteran_care.fhir import codes as c
from veteran_care.fhir.registry_mapping import PART_OF_DAY_HOURS, meta, ref
from veteran_care.models import (
    Appointment,
    CancelledBy,
    Checkup,
    CheckupConclusion,
    CheckupStatus,
    Diagnosis,
    Dispense,
    ExaminationResult,
    Medicine,
    PartOfDay,
    ResultStatus,
)

VN_OFFSET = "+07:00"  # Asia/Ho_Chi_Minh: no daylight saving time
HEALTH_CLASS_KIND = "health-class"
RESULT_KINDS: tuple[str, ...] = (
    "blood-pressure",
    "heart-rate",
    "temperature",
    "weight",
    "height",
    "bmi",
    "glucose",
    "visual-acuity-left",
    "visual-acuity-right",
    "findings",
)
_VITAL_FIELDS = {
    "heart-rate": "heart_rate_bpm",
    "temperature": "temperature_c",
    "weight": "weight_kg",
    "height": "height_cm",
    "bmi": "bmi",
}
_ACUITY = {"visual-acuity-left": "visual_acuity_left", "visual-acuity-right": "visual_acuity_right"}
_ACUITY_DISPLAY = {
    "visual-acuity-left": "Visual acuity, left eye (decimal)",
    "visual-acuity-right": "Visual acuity, right eye (decimal)",
}
# The columns behind the Observations of a result: one Observation per group with any value
# (and one for non-empty findings). queries.py counts Observations in SQL with these.
VALUE_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("systolic_mmhg", "diastolic_mmhg"),
    *((field,) for field in _VITAL_FIELDS.values()),
    ("glucose_mmol_l",),
    *((field,) for field in _ACUITY.values()),
)
_CANCELLED_BY = {
    CancelledBy.patient: ("pat", "Patient"),
    CancelledBy.facility: ("prov", "Provider"),
}


def number(value: Decimal | int) -> int | float:
    return value if isinstance(value, int) else float(value)


def appointment(
    row: Appointment, part_of_day: PartOfDay | None, specialty_names: Mapping[str, str]
) -> dict[str, Any]:
    name = specialty_names.get(row.specialty_code, row.specialty_code)
    hours = PART_OF_DAY_HOURS[(part_of_day or PartOfDay.morning).value]
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(row.id),
        "meta": meta(row.version, row.updated_at),
        "status": row.status.value,
        "serviceType": [c.concept(c.SPECIALTY_SYSTEM, row.specialty_code, name)],
        "start": f"{row.date.isoformat()}T{hours[0]}{VN_OFFSET}",
        "end": f"{row.date.isoformat()}T{hours[1]}{VN_OFFSET}",
        "created": row.created_at.isoformat(),
        "participant": [
            {
                "actor": ref("Patient", row.beneficiary_id),
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": ref("Location", row.facility_id),
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if row.cancelled_by is not None:
        code, display = _CANCELLED_BY[row.cancelled_by]
        reason = c.concept(c.CANCELLATION_REASON, code, display)
        if row.cancel_reason:
            reason["text"] = row.cancel_reason
        resource["cancelationReason"] = reason
    return resource


def encounter(checkup: Checkup, diagnoses: Sequence[Diagnosis] = ()) -> dict[str, Any]:
    period = {"start": checkup.date.isoformat()}
    if checkup.status == CheckupStatus.finished:
        period["end"] = checkup.date.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(checkup.id),
        "meta": meta(checkup.version, checkup.updated_at),
        "status": checkup.status.value,
        "class": c.coding(c.ACT_CODE, "AMB", "ambulatory"),
        "type": [c.concept(c.ENCOUNTER_TYPE_SYSTEM, "periodic-check", "Periodic health check")],
        "subject": ref("Patient", checkup.beneficiary_id),
        "appointment": [ref("Appointment", a.id) for a in checkup.appointments],
        "period": period,
        "location": [{"location": ref("Location", checkup.facility_id)}],
        "serviceProvider": ref("Organization", checkup.facility_id),
    }
    if not resource["appointment"]:
        del resource["appointment"]
    if diagnoses:
        resource["diagnosis"] = [
            {"condition": ref("Condition", d.id), **({"rank": 1} if d.principal else {})}
            for d in diagnoses
        ]
    return resource


def observation_id(owner_id: uuid.UUID, kind: str) -> str:
    return f"{owner_id}-{kind}"


def _observation(
    owner_id: uuid.UUID,
    kind: str,
    *,
    status: str,
    category: str,
    code: dict[str, Any],
    beneficiary_id: uuid.UUID,
    checkup_id: uuid.UUID,
    effective: datetime,
    version_meta: dict[str, Any],
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": observation_id(owner_id, kind),
        "meta": version_meta,
        "status": status,
        "category": [c.concept(c.OBSERVATION_CATEGORY, category)],
        "code": code,
        "subject": ref("Patient", beneficiary_id),
        "encounter": ref("Encounter", checkup_id),
        "effectiveDateTime": effective.isoformat(),
    }


def _quantity(value: Decimal | int, unit: str) -> dict[str, Any]:
    return {"value": number(value), "unit": unit, "system": c.UCUM, "code": unit}


def observations(result: ExaminationResult) -> list[dict[str, Any]]:
    """One Observation per value recorded (blood pressure: one, with two components)."""
    common: dict[str, Any] = {
        "status": result.status.value,
        "beneficiary_id": result.beneficiary_id,
        "checkup_id": result.checkup_id,
        "effective": result.created_at,
        "version_meta": meta(result.version, result.updated_at),
    }
    found: list[dict[str, Any]] = []
    if result.systolic_mmhg is not None or result.diastolic_mmhg is not None:
        bp = _observation(
            result.id,
            "blood-pressure",
            category="vital-signs",
            code=c.concept(c.LOINC, *c.BLOOD_PRESSURE),
            **common,
        )
        bp["component"] = [
            {"code": c.concept(c.LOINC, *loinc), "valueQuantity": _quantity(value, "mm[Hg]")}
            for loinc, value in (
                (c.SYSTOLIC, result.systolic_mmhg),
                (c.DIASTOLIC, result.diastolic_mmhg),
            )
            if value is not None
        ]
        found.append(bp)
    for kind, field in _VITAL_FIELDS.items():
        value = getattr(result, field)
        if value is not None:
            loinc, display, unit = c.VITAL_SIGNS[kind]
            item = _observation(
                result.id,
                kind,
                category="vital-signs",
                code=c.concept(c.LOINC, loinc, display),
                **common,
            )
            item["valueQuantity"] = _quantity(value, unit)
            found.append(item)
    if result.glucose_mmol_l is not None:
        loinc, display, unit = c.GLUCOSE
        item = _observation(
            result.id,
            "glucose",
            category="laboratory",
            code=c.concept(c.LOINC, loinc, display),
            **common,
        )
        item["valueQuantity"] = _quantity(result.glucose_mmol_l, unit)
        found.append(item)
    for kind, field in _ACUITY.items():
        value = getattr(result, field)
        if value is not None:
            item = _observation(
                result.id,
                kind,
                category="exam",
                code=c.concept(c.OBSERVATION_SYSTEM, kind, _ACUITY_DISPLAY[kind]),
                **common,
            )
            item["valueQuantity"] = {
                "value": number(value),
                "unit": "decimal",
                "system": c.UCUM,
                "code": "1",
            }
            found.append(item)
    if result.findings:
        item = _observation(
            result.id,
            "findings",
            category="exam",
            code=c.concept(c.OBSERVATION_SYSTEM, "findings", f"Findings ({result.specialty_code})"),
            **common,
        )
        item["valueString"] = result.findings
        found.append(item)
    return found


def classification(conclusion: CheckupConclusion) -> dict[str, Any]:
    """The checkup's health classification (I-V), with its conclusion and recommendations."""
    item = _observation(
        conclusion.checkup_id,
        HEALTH_CLASS_KIND,
        status="final",
        category="survey",
        code=c.concept(c.OBSERVATION_SYSTEM, HEALTH_CLASS_KIND, "Health classification"),
        beneficiary_id=conclusion.beneficiary_id,
        checkup_id=conclusion.checkup_id,
        effective=conclusion.created_at,
        version_meta=meta(conclusion.version, conclusion.updated_at),
    )
    value = conclusion.health_class.value
    item["valueCodeableConcept"] = c.concept(c.HEALTH_CLASS_SYSTEM, value, f"Class {value}")
    item["note"] = [{"text": conclusion.conclusion}]
    if conclusion.recommendations:
        item["note"].append({"text": conclusion.recommendations})
    return item


def condition(row: Diagnosis, result: ExaminationResult) -> dict[str, Any]:
    title = icd10.title(row.icd10_code)
    retracted = result.status == ResultStatus.entered_in_error
    verification = "entered-in-error" if retracted else "confirmed"
    return {
        "resourceType": "Condition",
        "id": str(row.id),
        "meta": meta(result.version, result.updated_at),
        "verificationStatus": c.concept(c.CONDITION_VERIFICATION, verification),
        "category": [c.concept(c.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
        "code": c.concept(c.ICD10, row.icd10_code, title),
        "subject": ref("Patient", row.beneficiary_id),
        "encounter": ref("Encounter", result.checkup_id),
        "recordedDate": result.created_at.isoformat(),
    }


def medication_dispense(row: Dispense, medicine: Medicine | None) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": row.quantity}
    if medicine is not None:
        quantity["unit"] = medicine.unit
    resource: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "id": str(row.id),
        "meta": meta(row.version, row.updated_at),
        "status": row.status.value,
        "medicationReference": ref(
            "Medication", row.medicine_id, medicine.name if medicine else None
        ),
        "subject": ref("Patient", row.beneficiary_id),
        "performer": [{"actor": ref("Organization", row.facility_id)}],
        "location": ref("Location", row.facility_id),
        "quantity": quantity,
        "whenHandedOver": row.dispensed_at.isoformat(),
        "dosageInstruction": [{"text": row.dosage_instructions}],
    }
    if row.checkup_id is not None:
        resource["context"] = ref("Encounter", row.checkup_id)
    if row.days_of_supply is not None:
        resource["daysSupply"] = {
            "value": row.days_of_supply,
            "unit": "d",
            "system": c.UCUM,
            "code": "d",
        }
    if row.status_reason:
        resource["statusReasonCodeableConcept"] = {"text": row.status_reason}
    return resource
