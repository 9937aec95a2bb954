"""The due list: active people with no fulfilled check (nor past check recorded at go-live)
within their interval and none booked ahead; overdue past the grace period. Computed in SQL
(cut-off dates are computed here, per category, since month arithmetic differs between
PostgreSQL and SQLite)."""

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.db.session import plan_each_execution
from veteran_care.kit.pagination import page_of, paginate, text_key
from veteran_care.models import (
    Appointment,
    AppointmentStatus,
    Beneficiary,
    BeneficiaryCategory,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    Checkup,
    CheckupStatus,
    PastCheck,
    PastCheckStatus,
)

DUE_SORT = "full_name"
DUE_KEY = text_key(Beneficiary.name_search)


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


@dataclass(frozen=True)
class DueFilters:
    commune_codes: Sequence[str] = ()
    categories: Sequence[str] = ()
    registered_facility_id: uuid.UUID | None = None
    scope: frozenset[uuid.UUID] | None = None
    overdue_only: bool = False
    not_in_campaign: uuid.UUID | None = None


async def person_cutoffs(session: AsyncSession, on: date) -> tuple[Any, Any]:
    """Per person: the due and overdue cut-off dates (shortest interval of their categories),
    and the date of their last check: a fulfilled examination, or a past check recorded at
    go-live (one withdrawn as entered in error aside)."""
    categories = (await session.scalars(select(BeneficiaryCategory))).all()
    due_cutoff = {c.code: months_before(on, c.check_interval_months) for c in categories}
    overdue_cutoff = {
        c.code: due_cutoff[c.code] - timedelta(days=c.overdue_grace_days) for c in categories
    }
    member = BeneficiaryCategoryMembership
    cutoffs = (
        select(
            member.beneficiary_id.label("beneficiary_id"),
            func.max(case(due_cutoff, value=member.category_code)).label("due_cutoff"),
            func.max(case(overdue_cutoff, value=member.category_code)).label("overdue_cutoff"),
        )
        .group_by(member.beneficiary_id)
        .subquery()
    )
    checked = union_all(
        select(Appointment.beneficiary_id, Appointment.date).where(
            Appointment.status == AppointmentStatus.fulfilled
        ),
        # Checks done before go-live count as checks (never as attendance: reports.queries).
        select(PastCheck.beneficiary_id, PastCheck.date).where(
            PastCheck.status != PastCheckStatus.entered_in_error
        ),
    ).subquery()
    last_check = (
        select(
            checked.c.beneficiary_id.label("beneficiary_id"),
            func.max(checked.c.date).label("last_checked_on"),
        )
        .group_by(checked.c.beneficiary_id)
        .subquery()
    )
    return cutoffs, last_check


async def due_statement(session: AsyncSession, on: date, filters: DueFilters) -> Select[Any]:
    member = BeneficiaryCategoryMembership
    cutoffs, last_check = await person_cutoffs(session, on)
    booked_ahead = exists().where(
        Appointment.beneficiary_id == Beneficiary.id,
        Appointment.status.in_((AppointmentStatus.booked, AppointmentStatus.checked_in)),
        Appointment.date >= on,
    )
    last = last_check.c.last_checked_on
    overdue = or_(last.is_(None), last < cutoffs.c.overdue_cutoff)
    stmt = (
        select(
            Beneficiary.id.label("id"),
            Beneficiary.full_name,
            Beneficiary.name_search,
            Beneficiary.commune_code,
            Beneficiary.registered_facility_id,
            last.label("last_checked_on"),
            case((overdue, literal(True)), else_=literal(False)).label("overdue"),
        )
        .join(cutoffs, cutoffs.c.beneficiary_id == Beneficiary.id)
        .outerjoin(last_check, last_check.c.beneficiary_id == Beneficiary.id)
        .where(
            Beneficiary.status == BeneficiaryStatus.active,
            or_(last.is_(None), last <= cutoffs.c.due_cutoff),
            ~booked_ahead,
        )
    )
    if filters.overdue_only:
        stmt = stmt.where(overdue)
    if filters.commune_codes:
        stmt = stmt.where(Beneficiary.commune_code.in_(filters.commune_codes))
    if filters.categories:
        stmt = stmt.where(
            exists().where(
                member.beneficiary_id == Beneficiary.id,
                member.category_code.in_(filters.categories),
            )
        )
    if filters.registered_facility_id is not None:
        stmt = stmt.where(Beneficiary.registered_facility_id == filters.registered_facility_id)
    if filters.scope is not None:
        stmt = stmt.where(Beneficiary.registered_facility_id.in_(filters.scope))
    if filters.not_in_campaign is not None:
        stmt = stmt.where(
            ~exists().where(
                and_(
                    Checkup.beneficiary_id == Beneficiary.id,
                    Checkup.campaign_id == filters.not_in_campaign,
                    Checkup.status.not_in(
                        (CheckupStatus.cancelled, CheckupStatus.entered_in_error)
                    ),
                )
            )
        )
    return stmt


async def due_page(
    session: AsyncSession, on: date, filters: DueFilters, *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    stmt = paginate(
        await due_statement(session, on, filters),
        id_column=Beneficiary.id,
        sort=DUE_SORT,
        key=DUE_KEY,
        cursor=cursor,
        limit=limit,
    )
    await plan_each_execution(session)
    rows = (await session.execute(stmt)).all()
    return page_of(rows, sort=DUE_SORT, key=DUE_KEY, limit=limit)
