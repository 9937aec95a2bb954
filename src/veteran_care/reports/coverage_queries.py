"""The coverage report's figures, counted by the database: the active people (of at least one
category) checked within their interval, due, overdue and never checked, by commune, category
and province (where they live: :data:`provinces.HOME_PROVINCE`)."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import Beneficiary, BeneficiaryCategoryMembership, BeneficiaryStatus
from veteran_care.reports.provinces import HOME_PROVINCE, People, by_home_province
from veteran_care.scheduling.due import person_cutoffs

COVERAGE_NOTES = {
    "active": "active beneficiaries with at least one category",
    "checked_within_interval": (
        "a fulfilled examination, or a past check recorded at go-live, after the due cut-off "
        "of their interval"
    ),
    "due": "active and not checked within their interval (overdue and never checked included)",
    "overdue": (
        "no fulfilled examination nor past check since the overdue cut-off (interval + grace), "
        "or never"
    ),
    "never_checked": "no fulfilled examination and no past check at all",
}


async def coverage_statement(
    session: AsyncSession, on: date, group_by: Sequence[str], people: People
) -> Select[Any]:
    """Active people: checked within their interval, due (not within), overdue, never checked."""
    cutoffs = await person_cutoffs(session, on)
    last = Beneficiary.last_checked_on
    within = and_(last.is_not(None), last > cutoffs.c.due_cutoff)
    overdue = or_(last.is_(None), last < cutoffs.c.overdue_cutoff)
    dims: list[Any] = [
        {
            "province": HOME_PROVINCE,
            "commune": Beneficiary.commune_code,
            "category": BeneficiaryCategoryMembership.category_code,
        }[name].label(name)
        for name in group_by
    ]
    stmt: Select[Any] = (
        select(
            *dims,
            func.count(func.distinct(Beneficiary.id)).label("active"),
            func.count(func.distinct(case((within, Beneficiary.id)))).label(
                "checked_within_interval"
            ),
            func.count(func.distinct(case((~within, Beneficiary.id)))).label("due"),
            func.count(func.distinct(case((overdue, Beneficiary.id)))).label("overdue"),
            func.count(func.distinct(case((last.is_(None), Beneficiary.id)))).label(
                "never_checked"
            ),
        )
        .select_from(Beneficiary)
        .join(cutoffs, cutoffs.c.beneficiary_id == Beneficiary.id)
        .where(Beneficiary.status == BeneficiaryStatus.active, people.clause())
    )
    if "category" in group_by:
        stmt = stmt.join(
            BeneficiaryCategoryMembership,
            BeneficiaryCategoryMembership.beneficiary_id == Beneficiary.id,
        )
    if "province" in group_by:
        stmt = by_home_province(stmt)
    if dims:
        stmt = stmt.group_by(*dims).order_by(*dims)
    return stmt
