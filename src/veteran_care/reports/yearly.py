"""The yearly summary of periodic health checks for people with merit, as the department receives
it: by category and by commune, the people on the registry, those due in the year, those
examined, their health class I-V, those referred for treatment, and the medicines handed out.

Rules (also in the route's description):
- on the registry: active people today (registered at the caller's facilities, for a facility's
  staff; and living in the caller's provinces, for a province's); a person of several
  categories counts in each, a person of none under ``no-category``; the totals row counts each
  person once;
- due: the registry's people whose last check (a fulfilled examination or a past check) before
  1 January was not within their interval as reckoned on 31 December, or who were never checked;
- examined: people with an attended checkup dated in the year (entered in error left out);
- health class I-V and referred for treatment: the latest concluded checkup of the year of each
  person; referred = the conclusion names a follow-up visit (``follow_up_on``);
- medicines: completed dispenses of the year (local time): the people, dispenses and units.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.kit.clock import end_of_day, start_of_day
from veteran_care.models import (
    Appointment,
    AppointmentStatus,
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    Checkup,
    CheckupConclusion,
    CheckupOutcome,
    CheckupStatus,
    Dispense,
    DispenseStatus,
    HealthClass,
    PastCheck,
    PastCheckStatus,
)
from veteran_care.reports import labels, queries, sheets
from veteran_care.reports.exports import Document
from veteran_care.reports.filing import Filing, columns, title_block, total_label
from veteran_care.reports.layout import Sheet
from veteran_care.reports.provinces import People
from veteran_care.reports.queries import NO_CATEGORY
from veteran_care.reports.schemas import YearlySummary
from veteran_care.scheduling.due import person_cutoffs

BREAKDOWNS = ("category", "commune")
CLASSES = [f"class_{c.value}" for c in HealthClass]
FIGURES = {
    "registry": "active people on the registry (each category counts its members)",
    "due": (
        "people on the registry not checked within their interval as reckoned on 31 December, "
        "counting checks before 1 January (never checked included)"
    ),
    "examined": "people with an attended checkup in the year",
    "class_I": "examined people whose latest conclusion of the year is class I",
    "class_II": "examined people whose latest conclusion of the year is class II",
    "class_III": "examined people whose latest conclusion of the year is class III",
    "class_IV": "examined people whose latest conclusion of the year is class IV",
    "class_V": "examined people whose latest conclusion of the year is class V",
    "referred": "people whose latest conclusion of the year names a follow-up visit",
    "medicine_people": "people given medicines (completed dispenses) in the year",
    "dispenses": "completed dispenses in the year",
    "quantity": "units handed out by completed dispenses in the year",
}


def _in_scope(column: Any, facilities: frozenset[uuid.UUID] | None) -> list[Any]:
    return [] if facilities is None else [column.in_(facilities)]


def _last_before(first_day: date) -> Any:
    checked = union_all(
        select(Appointment.beneficiary_id, Appointment.date).where(
            Appointment.status == AppointmentStatus.fulfilled, Appointment.date < first_day
        ),
        select(PastCheck.beneficiary_id, PastCheck.date).where(
            PastCheck.status != PastCheckStatus.entered_in_error, PastCheck.date < first_day
        ),
    ).subquery()
    return (
        select(checked.c.beneficiary_id, func.max(checked.c.date).label("last_checked_on"))
        .group_by(checked.c.beneficiary_id)
        .subquery()
    )


def _checkups_of(year: int, facilities: frozenset[uuid.UUID] | None) -> list[Any]:
    return [
        Checkup.date >= date(year, 1, 1),
        Checkup.date <= date(year, 12, 31),
        Checkup.status != CheckupStatus.entered_in_error,
        *_in_scope(Checkup.facility_id, facilities),
    ]


def _examined(year: int, facilities: frozenset[uuid.UUID] | None) -> Any:
    return (
        select(Checkup.beneficiary_id)
        .where(Checkup.outcome == CheckupOutcome.attended, *_checkups_of(year, facilities))
        .distinct()
        .subquery()
    )


def _latest_conclusion(year: int, facilities: frozenset[uuid.UUID] | None) -> Any:
    order = (Checkup.date.desc(), Checkup.id.desc())
    ranked = (
        select(
            CheckupConclusion.beneficiary_id,
            CheckupConclusion.health_class,
            CheckupConclusion.follow_up_on,
            func.row_number()
            .over(partition_by=CheckupConclusion.beneficiary_id, order_by=order)
            .label("rank"),
        )
        .join(Checkup, Checkup.id == CheckupConclusion.checkup_id)
        .where(*_checkups_of(year, facilities))
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1).subquery()


def _dispensed(year: int, facilities: frozenset[uuid.UUID] | None) -> Any:
    return (
        select(
            Dispense.beneficiary_id,
            func.count().label("dispenses"),
            func.sum(Dispense.quantity).label("quantity"),
        )
        .where(
            Dispense.status == DispenseStatus.completed,
            Dispense.dispensed_at >= start_of_day(date(year, 1, 1)),
            Dispense.dispensed_at < end_of_day(date(year, 12, 31)),
            *_in_scope(Dispense.facility_id, facilities),
        )
        .group_by(Dispense.beneficiary_id)
        .subquery()
    )


def _whole(total: Any) -> Any:
    """A SUM as an integer, 0 over no rows (PostgreSQL sums bigints as numeric)."""
    return cast(func.coalesce(total, 0), Integer)


async def statement(
    session: AsyncSession, year: int, group: str | None, reach: People
) -> Select[Any]:
    """The summary's figures by ``group`` (category or commune), or over everyone (None)."""
    cutoffs = await person_cutoffs(session, date(year, 12, 31))
    last = _last_before(date(year, 1, 1))
    examined, latest, given = (
        _examined(year, reach.facilities),
        _latest_conclusion(year, reach.facilities),
        _dispensed(year, reach.facilities),
    )
    person = Beneficiary.id
    due = and_(
        cutoffs.c.due_cutoff.is_not(None),
        or_(last.c.last_checked_on.is_(None), last.c.last_checked_on <= cutoffs.c.due_cutoff),
    )

    def people(condition: Any) -> Any:
        return func.count(func.distinct(case((condition, person))))

    dims: list[Any] = []
    if group == "category":
        category = BeneficiaryCategoryMembership.category_code
        dims = [func.coalesce(category, literal(NO_CATEGORY)).label("category")]
    elif group == "commune":
        dims = [Beneficiary.commune_code.label("commune")]
    stmt: Select[Any] = (
        select(
            *dims,
            func.count(func.distinct(person)).label("registry"),
            people(due).label("due"),
            people(examined.c.beneficiary_id.is_not(None)).label("examined"),
            *(people(latest.c.health_class == c).label(f"class_{c.value}") for c in HealthClass),
            people(latest.c.follow_up_on.is_not(None)).label("referred"),
            people(given.c.dispenses > 0).label("medicine_people"),
            _whole(func.sum(given.c.dispenses)).label("dispenses"),
            _whole(func.sum(given.c.quantity)).label("quantity"),
        )
        .select_from(Beneficiary)
        .outerjoin(cutoffs, cutoffs.c.beneficiary_id == person)
        .outerjoin(last, last.c.beneficiary_id == person)
        .outerjoin(examined, examined.c.beneficiary_id == person)
        .outerjoin(latest, latest.c.beneficiary_id == person)
        .outerjoin(given, given.c.beneficiary_id == person)
        .where(
            Beneficiary.status == BeneficiaryStatus.active,
            reach.clause(),
        )
    )
    if group == "category":
        stmt = stmt.outerjoin(
            BeneficiaryCategoryMembership, BeneficiaryCategoryMembership.beneficiary_id == person
        )
    if dims:
        stmt = stmt.group_by(*dims).order_by(*dims)
    return stmt


HEADERS = {
    "registry": "People on the registry",
    "due": "Due for a check in the year",
    "examined": "Examined",
    "class_I": "Class I (very good)",
    "class_II": "Class II (good)",
    "class_III": "Class III (average)",
    "class_IV": "Class IV (poor)",
    "class_V": "Class V (very poor)",
    "referred": "Referred for treatment",
    "medicine_people": "People given medicines",
    "dispenses": "Dispenses",
    "quantity": "Units handed out",
}
SHEETS = {"category": "By category", "commune": "By commune or ward"}
NOTES = (
    "A person of several categories counts in each; the total counts each person once.",
    "Health class and referral: the latest concluded checkup of the year of each person.",
)


async def summary(
    session: AsyncSession, actor: Actor, year: int, fmt: str, filing: Filing
) -> YearlySummary | Document:
    """The summary of ``year`` as JSON, or as a CSV, XLSX or PDF of one sheet per breakdown."""
    people = People.of(actor.require())
    language = filing.language
    found: dict[str, list[dict[str, Any]]] = {}
    for group in BREAKDOWNS:
        rows = await queries.rows(session, await statement(session, year, group, people))
        found[group] = await labels.with_names(session, [group], rows, language)
    total = (await queries.rows(session, await statement(session, year, None, people)))[0]
    await audit.record(
        session, actor, "export", resource_type="report", detail=f"yearly-checks as {fmt}"
    )
    report = YearlySummary(
        report="yearly-checks",
        year=year,
        generated_at=datetime.now().astimezone(),
        figures=labels.described(FIGURES, language),
        by_category=found["category"],
        by_commune=found["commune"],
        total=total,
    )
    if fmt not in sheets.FORMATS:
        return report
    period = labels.text("year {year}", language, year=year)
    block = await title_block(session, actor, filing, report.report, period, report.generated_at)
    pages = [
        Sheet(
            name=labels.text(SHEETS[group], language),
            columns=columns([group], list(FIGURES), language, HEADERS),
            rows=found[group],
            total=total,
            total_label=total_label(language),
            notes=[labels.text(note, language) for note in NOTES],
        )
        for group in BREAKDOWNS
    ]
    return await sheets.render(fmt, report.report, block, pages)
