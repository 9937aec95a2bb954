"""Every report figure is computed by the database (GROUP BY), never by loading rows.

Attendance counts checkups (one periodic check of one person), each in exactly one outcome, stored
on the checkup (``Checkup.outcome``, kept by the scheduling lifecycle) from its appointments:
- attended: at least one examination checked in or fulfilled;
- noshow: not attended, at least one examination a no-show;
- cancelled_by_patient / cancelled_by_facility: not attended, no no-show, cancelled (by whom the
  first cancelled examination says);
- pending: still booked.
Past checks recorded at go-live (``PastCheck``) are no checkups and never counted here; the
coverage report counts them as checks. Checkups entered in error are left out, and so is a checkup
moved to another day (rescheduled) when the checkup it was moved to is in the report too: a
rescheduled check counts once, as what became of it on its new day. A person of no category is
counted under ``no-category`` when the report is grouped by category (a person of several
categories counts in each).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from veteran_care.db.session import plan_each_execution
from veteran_care.kit.clock import end_of_day, local_time, start_of_day
from veteran_care.models import (
    Appointment,
    Beneficiary,
    BeneficiaryCategoryMembership,
    Checkup,
    CheckupOutcome,
    CheckupStatus,
    Dispense,
    DispenseStatus,
    LedgerEntry,
    LedgerKind,
    Medicine,
    Session,
    StockLot,
    Venue,
)
from veteran_care.reports.provinces import EVENT_PROVINCE, by_facility_province

GROUPS = (
    "province",
    "commune",
    "facility",
    "venue",
    "category",
    "sex",
    "ethnicity",
    "age_band",
    "month",
)
PERSON_GROUPS = frozenset({"commune", "sex", "ethnicity", "age_band"})  # beneficiaries' columns
AGE_BANDS = (
    (0, 69, "<70"),
    (70, 74, "70-74"),
    (75, 79, "75-79"),
    (80, 84, "80-84"),
    (85, 200, "85+"),
)

NO_CATEGORY = "no-category"
UNKNOWN_FUNDING = "unknown"  # lots received before their funding source was recorded
STATUS_NOTES = {
    "booked": (
        "checkups booked (all outcomes; entered-in-error left out; a checkup rescheduled to a "
        "day within the report counts once, on its new day)"
    ),
    "attended": "checkups with an examination checked-in or fulfilled",
    "noshow": "checkups not attended with an examination marked noshow",
    "cancelled_by_patient": "checkups not attended, cancelled, first cancellation by the patient",
    "cancelled_by_facility": "checkups not attended, cancelled, first cancellation by the facility",
    "pending": "checkups still booked (the day has not come, or not yet marked)",
}
RATE_FORMULA = "attendance_rate = attended / (attended + noshow); null when both are 0"


@dataclass(frozen=True)
class Scope:
    date_from: date | None
    date_to: date | None
    campaign_id: uuid.UUID | None
    facilities: frozenset[uuid.UUID] | None  # None: province-wide


def age_band(reference_year: int) -> ColumnElement[Any]:
    age = literal(reference_year) - Beneficiary.birth_year
    return case(*((and_(age >= lo, age <= hi), literal(label)) for lo, hi, label in AGE_BANDS))


def month_of(column: Any) -> ColumnElement[Any]:
    """YYYYMM as an integer (PostgreSQL's EXTRACT gives a numeric, SQLite's an integer)."""
    year = cast(func.extract("year", column), Integer)
    return year * 100 + cast(func.extract("month", column), Integer)


def category() -> ColumnElement[Any]:
    """The category's code, or ``no-category`` for a person of none (outer-joined)."""
    return func.coalesce(BeneficiaryCategoryMembership.category_code, literal(NO_CATEGORY))


def by_category(stmt: Select[Any], person: Any) -> Select[Any]:
    return stmt.outerjoin(
        BeneficiaryCategoryMembership, BeneficiaryCategoryMembership.beneficiary_id == person
    )


def _dimension(name: str, reference_year: int) -> Any:
    return {
        "province": EVENT_PROVINCE,  # of the facility where it was booked
        "commune": Beneficiary.commune_code,
        "facility": Checkup.facility_id,
        "venue": Venue.id,
        "category": category(),
        "sex": Beneficiary.sex,
        "ethnicity": Beneficiary.ethnicity_code,
        "age_band": age_band(reference_year),
        "month": month_of(Checkup.date),
    }[name]


def _checkup_venue() -> Any:
    """The venue a checkup's sessions were held at (its first examination's; null: at the
    facility), for an outer join: grouped by, a subquery would be compared, not matched."""
    return (
        select(Session.venue_id)
        .join(Appointment, Appointment.session_id == Session.id)
        .where(Appointment.checkup_id == Checkup.id)
        .order_by(Appointment.specialty_code)
        .limit(1)
        .correlate(Checkup)
        .scalar_subquery()
    )


def _in_scope(checkup: Any, scope: Scope) -> list[ColumnElement[bool]]:
    conditions = [checkup.status != CheckupStatus.entered_in_error]
    if scope.date_from is not None:
        conditions.append(checkup.date >= scope.date_from)
    if scope.date_to is not None:
        conditions.append(checkup.date <= scope.date_to)
    if scope.campaign_id is not None:
        conditions.append(checkup.campaign_id == scope.campaign_id)
    if scope.facilities is not None:
        conditions.append(checkup.facility_id.in_(scope.facilities))
    return conditions


def scoped(stmt: Select[Any], scope: Scope) -> Select[Any]:
    """The checkups of the scope, less those rescheduled to one that is in it too."""
    successor = aliased(Checkup)
    moved_within = (
        exists()
        .where(successor.rescheduled_from_id == Checkup.id, *_in_scope(successor, scope))
        .correlate(Checkup)
    )
    cancelled = (CheckupOutcome.cancelled_by_patient, CheckupOutcome.cancelled_by_facility)
    replaced = and_(Checkup.outcome.in_(cancelled), moved_within)
    return stmt.where(*_in_scope(Checkup, scope), ~replaced)


def total(expression: Any) -> Any:
    """SUM that says 0, not NULL, over no rows."""
    return func.coalesce(func.sum(expression), 0)


def attendance_statement(scope: Scope, group_by: Sequence[str], reference_year: int) -> Select[Any]:
    def count(outcome: CheckupOutcome) -> Any:
        return total(case((Checkup.outcome == outcome, 1), else_=0))

    dims: list[Any] = [_dimension(name, reference_year).label(name) for name in group_by]
    stmt: Select[Any] = select(
        *dims,
        func.count().label("booked"),
        count(CheckupOutcome.attended).label("attended"),
        count(CheckupOutcome.noshow).label("noshow"),
        count(CheckupOutcome.cancelled_by_patient).label("cancelled_by_patient"),
        count(CheckupOutcome.cancelled_by_facility).label("cancelled_by_facility"),
        count(CheckupOutcome.pending).label("pending"),
    ).select_from(Checkup)
    if set(group_by) & PERSON_GROUPS:  # totals, facility and month need no person
        stmt = stmt.join(Beneficiary, Beneficiary.id == Checkup.beneficiary_id)
    if "category" in group_by:
        stmt = by_category(stmt, Checkup.beneficiary_id)
    if "province" in group_by:
        stmt = by_facility_province(stmt, Checkup.facility_id)
    if "venue" in group_by:
        stmt = stmt.outerjoin(Venue, Venue.id == _checkup_venue())
    stmt = scoped(stmt, scope).where(Checkup.outcome.is_not(None))
    if dims:
        stmt = stmt.group_by(*dims).order_by(*dims)
    return stmt


def dispensing_statement(scope: Scope, group_by: Sequence[str]) -> Select[Any]:
    """Units, people and dispenses by province (of the facility that dispensed), medicine, ATC
    group, facility, month, and by who paid for the lots (``funding_source``, ``sponsor``): a
    dispense drawn from lots of two payers counts its units under each, once as a dispense and
    a person in each."""
    by_lot = {"funding_source", "sponsor"} & set(group_by)
    dims_by_name: dict[str, Any] = {
        "province": EVENT_PROVINCE,  # of the facility that dispensed
        "medicine": Medicine.code,
        "atc_group": func.substr(Medicine.atc_code, 1, 3),
        "facility": Dispense.facility_id,
        "month": month_of(local_time(Dispense.dispensed_at)),
        "funding_source": func.coalesce(
            type_coerce(StockLot.funding_source, String), literal(UNKNOWN_FUNDING)
        ),
        "sponsor": StockLot.sponsor,
    }
    dims: list[Any] = [dims_by_name[name].label(name) for name in group_by]
    units = -LedgerEntry.quantity if by_lot else Dispense.quantity  # out of the lot: negative
    stmt: Select[Any] = (
        select(
            *dims,
            total(units).label("quantity"),
            func.count(func.distinct(Dispense.beneficiary_id)).label("people"),
            func.count(func.distinct(Dispense.id)).label("dispenses"),
        )
        .select_from(Dispense)
        .join(Medicine, Medicine.id == Dispense.medicine_id)
        .where(Dispense.status == DispenseStatus.completed)
    )
    if by_lot:
        stmt = stmt.join(
            LedgerEntry,
            and_(LedgerEntry.dispense_id == Dispense.id, LedgerEntry.kind == LedgerKind.dispense),
        ).join(StockLot, StockLot.id == LedgerEntry.lot_id)
    if "province" in group_by:
        stmt = by_facility_province(stmt, Dispense.facility_id)
    if scope.date_from is not None:
        stmt = stmt.where(Dispense.dispensed_at >= start_of_day(scope.date_from))
    if scope.date_to is not None:
        stmt = stmt.where(Dispense.dispensed_at < end_of_day(scope.date_to))
    if scope.facilities is not None:
        stmt = stmt.where(Dispense.facility_id.in_(scope.facilities))
    if dims:
        stmt = stmt.group_by(*dims).order_by(*dims)
    return stmt


async def rows(session: AsyncSession, stmt: Select[Any]) -> list[dict[str, Any]]:
    await plan_each_execution(session)
    return [dict(row._mapping) for row in (await session.execute(stmt)).all()]
