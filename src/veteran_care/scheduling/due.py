"""The due list: active people with no fulfilled check (nor past check recorded at go-live)
within their interval and none booked ahead; overdue past the grace period. Computed in SQL
from each person's last check, a column the database keeps (decision 0036); cut-off dates are
computed here, per category, since month arithmetic differs between PostgreSQL and SQLite.
And the same question about one person (``person_due``): due or not, why, since when and under
which category."""

import calendar
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.beneficiaries.repository import resident_clause
from veteran_care.db.session import plan_each_execution
from veteran_care.kit.clock import add_days, each_day
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
    scope: frozenset[uuid.UUID] | None = None  # None: every facility's people
    provinces: frozenset[str] = frozenset()  # with a scope: these provinces' residents too
    overdue_only: bool = False
    not_in_campaign: uuid.UUID | None = None
    beneficiary_id: uuid.UUID | None = None


async def category_cutoffs(session: AsyncSession, on: date) -> tuple[dict[str, date], ...]:
    """Per category: the due cut-off (a last check on or before it is due) and the overdue one
    (the due cut-off less the grace)."""
    categories = (await session.scalars(select(BeneficiaryCategory))).all()
    due_cutoff = {c.code: months_before(on, c.check_interval_months) for c in categories}
    overdue_cutoff = {
        c.code: due_cutoff[c.code] - timedelta(days=c.overdue_grace_days) for c in categories
    }
    return due_cutoff, overdue_cutoff


async def person_cutoffs(session: AsyncSession, on: date) -> Any:
    """Per person: the due and overdue cut-off dates (shortest interval of their categories),
    as a subquery to join (the coverage report counts every person at once)."""
    due_cutoff, overdue_cutoff = await category_cutoffs(session, on)
    member = BeneficiaryCategoryMembership
    return (
        select(
            member.beneficiary_id.label("beneficiary_id"),
            func.max(case(due_cutoff, value=member.category_code)).label("due_cutoff"),
            func.max(case(overdue_cutoff, value=member.category_code)).label("overdue_cutoff"),
        )
        .group_by(member.beneficiary_id)
        .subquery()
    )


def _some_category(cutoff: dict[str, date], before: bool) -> Any:
    """One of the person's categories has its cut-off after (``before``: strictly) or on the
    day of their last check. Per person, through the membership's primary key: a page of the
    due list reads its own people's categories, not everyone's (decision 0036)."""
    member = BeneficiaryCategoryMembership
    last, bound = Beneficiary.last_checked_on, case(cutoff, value=member.category_code)
    return exists().where(
        member.beneficiary_id == Beneficiary.id, last < bound if before else last <= bound
    )


def _in_scope(scope: frozenset[uuid.UUID], provinces: frozenset[str]) -> Any:
    """Registered at one of these facilities, or (a province-scoped account) living in one of
    these provinces, as the beneficiaries list counts residents (decision 0054)."""
    registered = Beneficiary.registered_facility_id.in_(scope)
    return or_(registered, resident_clause(provinces)) if provinces else registered


async def due_statement(session: AsyncSession, on: date, filters: DueFilters) -> Select[Any]:
    """Active people with a category and no check (a fulfilled appointment, or a past check
    recorded at go-live: ``Beneficiary.last_checked_on``, kept by the database) since the due
    cut-off of one of their categories, and none booked ahead."""
    member = BeneficiaryCategoryMembership
    due_cutoff, overdue_cutoff = await category_cutoffs(session, on)
    booked_ahead = exists().where(
        Appointment.beneficiary_id == Beneficiary.id,
        Appointment.status.in_((AppointmentStatus.booked, AppointmentStatus.checked_in)),
        Appointment.date >= on,
    )
    last = Beneficiary.last_checked_on
    has_category = exists().where(member.beneficiary_id == Beneficiary.id)
    overdue = or_(last.is_(None), _some_category(overdue_cutoff, before=True))
    stmt = select(
        Beneficiary.id.label("id"),
        Beneficiary.full_name,
        Beneficiary.name_search,
        Beneficiary.commune_code,
        Beneficiary.registered_facility_id,
        last.label("last_checked_on"),
        case((overdue, literal(True)), else_=literal(False)).label("overdue"),
    ).where(
        Beneficiary.status == BeneficiaryStatus.active,
        or_(and_(last.is_(None), has_category), _some_category(due_cutoff, before=False)),
        ~booked_ahead,
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
    if filters.beneficiary_id is not None:
        stmt = stmt.where(Beneficiary.id == filters.beneficiary_id)
    if filters.registered_facility_id is not None:
        stmt = stmt.where(Beneficiary.registered_facility_id == filters.registered_facility_id)
    if filters.scope is not None:
        stmt = stmt.where(_in_scope(filters.scope, filters.provinces))
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


@dataclass(frozen=True)
class PersonDue:
    """One person and the due list on a day (see ``DueStatus`` in campaign_schemas)."""

    status: str
    last_checked_on: date | None = None
    due_since: date | None = None
    overdue_since: date | None = None
    category_code: str | None = None
    check_interval_months: int | None = None
    booked_on: date | None = None


def _first_day(around: date, holds: Callable[[date], bool]) -> date | None:
    """The first day near ``around`` on which ``holds`` (true from some day on) is true: a
    month's end moves a cut-off by at most three days either way."""
    return next((d for d in each_day(add_days(around, -4), add_days(around, 8)) if holds(d)), None)


def _since(last: date, category: BeneficiaryCategory) -> tuple[date | None, date | None]:
    """The day the due list's cut-offs for ``category`` first reach a check of ``last``: due
    (``last <= cut-off``), overdue (``last < cut-off - grace``), as ``due_statement`` counts."""
    months, grace = category.check_interval_months, timedelta(days=category.overdue_grace_days)
    due = _first_day(months_before(last, -months), lambda d: last <= months_before(d, months))
    overdue = _first_day(
        months_before(last + grace, -months), lambda d: last < months_before(d, months) - grace
    )
    return due, overdue


async def person_due(session: AsyncSession, on: date, person: Beneficiary) -> PersonDue:
    """Whether ``person`` is on the due list on ``on``, and why (or why not)."""
    member = BeneficiaryCategoryMembership
    categories = (
        await session.scalars(
            select(BeneficiaryCategory)
            .join(member, member.category_code == BeneficiaryCategory.code)
            .where(member.beneficiary_id == person.id)
            .order_by(BeneficiaryCategory.check_interval_months, BeneficiaryCategory.code)
        )
    ).all()
    if person.status != BeneficiaryStatus.active:
        return PersonDue(status="not-active")
    if not categories:
        return PersonDue(status="no-category")
    listed = (
        await session.execute(
            await due_statement(session, on, DueFilters(beneficiary_id=person.id))
        )
    ).first()
    # a fulfilled examination or a past check recorded at go-live, as the database keeps it
    last = await session.scalar(
        select(Beneficiary.last_checked_on).where(Beneficiary.id == person.id)
    )
    booked_on = await session.scalar(
        select(func.min(Appointment.date)).where(
            Appointment.beneficiary_id == person.id,
            Appointment.status.in_((AppointmentStatus.booked, AppointmentStatus.checked_in)),
            Appointment.date >= on,
        )
    )
    chosen, due_since, overdue_since = categories[0], None, None
    if last is not None:
        spans = [(_since(last, c), c) for c in categories]
        (due_since, _), chosen = min(spans, key=lambda s: s[0][0] or date.max)
        overdue_since = min((s[0][1] for s in spans if s[0][1]), default=None)
    if listed is not None:
        status = "overdue" if listed.overdue else "due"
    else:
        status = "booked-ahead" if booked_on is not None else "checked-within-interval"
    return PersonDue(
        status=status,
        last_checked_on=last,
        due_since=due_since,
        overdue_since=overdue_since,
        category_code=chosen.code,
        check_interval_months=chosen.check_interval_months,
        booked_on=booked_on,
    )
