"""The rules a past check obeys whichever way it comes in (the API or an import row), as pure
functions: each answers the field at fault and what is wrong, or None."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from veteran_care.clinical import icd10
from veteran_care.clinical.schemas import VITALS, DiagnosisIn
from veteran_care.kit.i18n import Message

Problem = tuple[str, str]  # (field, message)


def date_problem(
    day: date, today: date, birth_date: date | None, birth_year: int, died_on: date | None
) -> Problem | None:
    """Not in the future; not before the person's birth (its year, when only that is known);
    not after their death."""
    if day > today:
        return "date", Message(
            "a past check is done already: {day} is in the future", day=day.isoformat()
        )
    if (birth_date is not None and day < birth_date) or day.year < birth_year:
        return "date", Message("the check cannot be before the person's birth")
    if died_on is not None and day > died_on:
        return "date", Message("the check cannot be after the person's death")
    return None


def place_problem(facility_id: Any, place: str | None) -> Problem | None:
    """Where: one of our facilities or a place in words, not both and not neither."""
    if (facility_id is None) == (place is None):
        return "place", Message(
            "give either facility_id (one of ours) or place (in words), one of them"
        )
    return None


def diagnoses_problem(diagnoses: list[DiagnosisIn]) -> Problem | None:
    for position, item in enumerate(diagnoses):
        if icd10.title(item.code) is None:
            return f"diagnoses.{position}.code", Message(
                "{code} is not an ICD-10 code", code=item.code
            )
    return None


def _decimal(value: float | None, places: str) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def stored_vitals(values: dict[str, Any]) -> dict[str, Any]:
    """Vitals as the columns keep them (decimals rounded as the results'), BMI derived."""
    stored: dict[str, Any] = {}
    for name in VITALS:
        value = values.get(name)
        if name.startswith("visual_acuity"):
            stored[name] = _decimal(value, "0.01")
        elif name in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm"):
            stored[name] = value
        else:
            stored[name] = _decimal(value, "0.1")
    weight, height = stored["weight_kg"], stored["height_cm"]
    stored["bmi"] = (
        None
        if weight is None or height is None
        else (weight / (height / 100) ** 2).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    )
    return stored


def stored_diagnoses(diagnoses: list[DiagnosisIn]) -> list[dict[str, Any]]:
    return [{"code": d.code, "principal": d.principal is True} for d in diagnoses]
