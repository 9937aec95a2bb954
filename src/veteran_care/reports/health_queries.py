"""The health report's figures, counted by the database: the health class I-V of concluded
checkups and the ICD-10 diagnoses of their results, by province (of the facility where the
checkup was booked, as attendance), category and age band; and the totals, each counted once.
Which checkups: those of :func:`queries.scoped` (entered in error left out, a rescheduled check
once)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, cast, func, select

from veteran_care.models import (
    Beneficiary,
    Checkup,
    CheckupConclusion,
    Diagnosis,
    ExaminationResult,
    ResultStatus,
)
from veteran_care.reports.provinces import EVENT_PROVINCE, by_facility_province
from veteran_care.reports.queries import Scope, age_band, by_category, category, scoped, total


def _dimensions(group_by: Sequence[str], year: int) -> list[Any]:
    return [
        {
            "province": EVENT_PROVINCE,
            "category": category(),
            "age_band": age_band(year),
        }[name].label(name)
        for name in group_by
    ]


def _grouped(stmt: Select[Any], group_by: Sequence[str]) -> Select[Any]:
    """The joins the groupings need (the statement is of checkups and their people)."""
    if "category" in group_by:
        stmt = by_category(stmt, Beneficiary.id)
    if "province" in group_by:
        stmt = by_facility_province(stmt, Checkup.facility_id)
    return stmt


def classification_statement(scope: Scope, group_by: Sequence[str], year: int) -> Select[Any]:
    dims = _dimensions(group_by, year)
    stmt: Select[Any] = (
        select(
            *dims,
            CheckupConclusion.health_class.label("health_class"),
            func.count().label("checkups"),
        )
        .select_from(CheckupConclusion)
        .join(Checkup, Checkup.id == CheckupConclusion.checkup_id)
        .join(Beneficiary, Beneficiary.id == Checkup.beneficiary_id)
    )
    stmt = scoped(_grouped(stmt, group_by), scope)
    return stmt.group_by(*dims, CheckupConclusion.health_class).order_by(
        *dims, CheckupConclusion.health_class
    )


def diagnoses_statement(scope: Scope, group_by: Sequence[str], year: int, top: int) -> Select[Any]:
    dims = _dimensions(group_by, year)
    people = func.count(func.distinct(Diagnosis.beneficiary_id))
    stmt: Select[Any] = (
        select(
            *dims,
            Diagnosis.icd10_code.label("icd10_code"),
            func.count().label("diagnoses"),
            people.label("people"),
        )
        .select_from(Diagnosis)
        .join(ExaminationResult, ExaminationResult.id == Diagnosis.result_id)
        .join(Checkup, Checkup.id == ExaminationResult.checkup_id)
        .join(Beneficiary, Beneficiary.id == Checkup.beneficiary_id)
        .where(ExaminationResult.status != ResultStatus.entered_in_error)
    )
    stmt = scoped(_grouped(stmt, group_by), scope)
    stmt = stmt.group_by(*dims, Diagnosis.icd10_code)
    return stmt.order_by(*dims, func.count().desc(), Diagnosis.icd10_code)


def health_total_statement(scope: Scope, year: int) -> Select[Any]:
    """The health report's totals, each counted once: concluded checkups (one class each),
    diagnoses (one code each), and the people with at least one diagnosis."""
    classes = classification_statement(scope, [], year).subquery()
    codes = diagnoses_statement(scope, [], year, 0).subquery()
    diagnosed = (
        select(func.count(func.distinct(Diagnosis.beneficiary_id)))
        .select_from(Diagnosis)
        .join(ExaminationResult, ExaminationResult.id == Diagnosis.result_id)
        .join(Checkup, Checkup.id == ExaminationResult.checkup_id)
        .where(ExaminationResult.status != ResultStatus.entered_in_error)
    )
    return select(
        select(cast(total(classes.c.checkups), Integer)).scalar_subquery().label("checkups"),
        select(cast(total(codes.c.diagnoses), Integer)).scalar_subquery().label("diagnoses"),
        scoped(diagnosed, scope).scalar_subquery().label("people"),
    )
