"""Reports: the period and facilities a caller may count, the figures (counted by the database,
see queries), the table or file they are delivered as (exports), and the audit event every pull
leaves: an export.

The router parses the request and chooses the format (`fmt`: json, csv, xlsx, pdf or svg, among
those the route offers); a report comes back as a table (JSON) or an :class:`exports.Document`."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.clinical import icd10
from veteran_care.kit.clock import today
from veteran_care.kit.validation import check_date_range
from veteran_care.reports import (
    coverage_queries,
    exports,
    health_queries,
    labels,
    queries,
    sheets,
)
from veteran_care.reports.filing import Filing, columns, title_block, total_label
from veteran_care.reports.layout import Sheet
from veteran_care.reports.provinces import People
from veteran_care.reports.schemas import ReportTable

ATTENDANCE_FIGURES = [
    "booked",
    "attended",
    "noshow",
    "cancelled_by_patient",
    "cancelled_by_facility",
    "pending",
    "attendance_rate",
]
DISPENSING_FIGURES = {
    "quantity": "units handed out by completed dispenses (cancelled and entered-in-error left out)",
    "people": "distinct beneficiaries",
    "dispenses": "completed dispenses",
}
HEALTH_FIGURES = {
    "checkups": "concluded checkups per health class I-V",
    "diagnoses": "ICD-10 diagnoses of results not entered in error",
    "people": "distinct beneficiaries with the diagnosis",
}
HEALTH_COLUMNS = ["health_class", "checkups", "icd10_code", "title", "diagnoses", "people"]


@dataclass(frozen=True)
class Period:
    """Which checkups (or dispenses) a report counts: a date range and/or a campaign."""

    date_from: date | None = None
    date_to: date | None = None
    campaign_id: uuid.UUID | None = None

    @property
    def year(self) -> int:
        """The year ages are reckoned in (age bands): the range's last, else this one."""
        return (self.date_to or today()).year

    def filters(self, **more: object) -> dict[str, object]:
        """The period as a report's ``filters``, with the report's own."""
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "campaign_id": self.campaign_id,
            **more,
        }


def scope_of(actor: Actor, period: Period) -> queries.Scope:
    check_date_range(period.date_from, period.date_to)
    principal = actor.require()
    return queries.Scope(period.date_from, period.date_to, period.campaign_id, principal.scope)


def _groups(group_by: Sequence[str] | None) -> list[str]:
    return list(dict.fromkeys(group_by or []))


def _json_safe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.value if hasattr(v, "value") else v) for k, v in row.items()} for row in rows]


def _with_rate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        seen = (row["attended"] or 0) + (row["noshow"] or 0)
        row["attendance_rate"] = round(100 * row["attended"] / seen, 1) if seen else None
    return rows


async def audit_pull(session: AsyncSession, actor: Actor, what: str, fmt: str) -> None:
    await audit.record(session, actor, "export", resource_type="report", detail=f"{what} as {fmt}")


async def _deliver(
    session: AsyncSession,
    actor: Actor,
    fmt: str,
    table: ReportTable,
    figures: Sequence[str],
    filing: Filing,
    period: str,
    *,
    always_total: bool = False,
) -> ReportTable | exports.Document:
    """Audit the pull, name each grouping's codes, then hand the table over as it is (JSON) or as
    the file an officer files (CSV, XLSX, PDF): title block, headers, rows, totals (when grouped, or
    ``always_total``: an ungrouped report of one row is its own total)."""
    await audit_pull(session, actor, table.report, fmt)
    language = filing.language
    table.rows = await labels.with_names(session, table.group_by, table.rows, language)
    if fmt not in sheets.FORMATS:
        return table
    block = await title_block(session, actor, filing, table.report, period, table.generated_at)
    sheet = Sheet(
        name=labels.text("Report", language),
        columns=columns(table.group_by, figures, language),
        rows=table.rows,
        total=table.total if table.group_by or always_total else None,
        total_label=total_label(language),
    )
    return await sheets.render(fmt, table.report, block, [sheet])


async def attendance(
    session: AsyncSession,
    actor: Actor,
    period: Period,
    group_by: Sequence[str] | None,
    fmt: str,
    filing: Filing = Filing(),
) -> ReportTable | exports.Document:
    """Booked, attended, no-show, cancelled by whom, rate; `svg` charts the rate by the first
    grouping (commune by default)."""
    groups = _groups(group_by)
    if fmt == "svg" and not groups:
        groups = ["commune"]
    scope = scope_of(actor, period)
    statement = queries.attendance_statement(scope, groups, period.year)
    rows = _with_rate(_json_safe(await queries.rows(session, statement)))
    if fmt == "svg":
        await audit_pull(session, actor, "attendance", fmt)
        svg = await _attendance_chart(session, groups[0], period, rows, filing.language)
        return exports.Document("attendance", "svg", exports.SVG_TYPE, svg, attachment=False)
    total = rows[0] if not groups else None
    if groups:
        ungrouped = queries.attendance_statement(scope, [], period.year)
        total = _with_rate(_json_safe(await queries.rows(session, ungrouped)))[0]
    table = ReportTable(
        report="attendance",
        generated_at=datetime.now().astimezone(),
        filters=period.filters(),
        group_by=groups,
        figures=labels.described(
            queries.STATUS_NOTES | {"attendance_rate": queries.RATE_FORMULA}, filing.language
        ),
        formula=labels.text(queries.RATE_FORMULA, filing.language),
        rows=rows,
        total=total,
    )
    words = _period_words(period, filing.language)
    return await _deliver(session, actor, fmt, table, ATTENDANCE_FIGURES, filing, words)


def _period_words(period: Period, language: str) -> str:
    campaign = str(period.campaign_id) if period.campaign_id else None
    return labels.period(period.date_from, period.date_to, campaign, language)


def _rate_note(row: dict[str, Any], language: str) -> str:
    attended, seen = row["attended"], row["attended"] + row["noshow"]
    if not seen:
        return labels.text("no checkup held yet ({booked} booked)", language, booked=row["booked"])
    rate = f"{row['attendance_rate']:.1f}"
    if language == "vi":
        rate = rate.replace(".", ",")
    return labels.text(
        "{rate} % ({attended}/{seen} came or missed)",
        language,
        rate=rate,
        attended=attended,
        seen=seen,
    )


async def _attendance_chart(
    session: AsyncSession, group: str, period: Period, rows: list[dict[str, Any]], language: str
) -> str:
    """The attendance rate by a grouping, with names, the period and the counts behind it."""
    known = await labels.names(session, group, language)
    bars = [
        (
            labels.label(group, row[group], known, language),
            row["attendance_rate"],
            _rate_note(row, language),
        )
        for row in rows
    ]
    return exports.bar_chart_svg(
        labels.text(labels.CHART_TITLES[group], language),
        labels.text(
            "Period: {period}. Rate = attended / (attended or did not come).",
            language,
            period=_period_words(period, language),
        ),
        bars,
        empty=labels.text("No checkup at all.", language),
    )


async def coverage(
    session: AsyncSession,
    actor: Actor,
    group_by: Sequence[str] | None,
    fmt: str,
    filing: Filing = Filing(),
) -> ReportTable | exports.Document:
    """Active people checked within their interval, due, overdue, never checked; as of today."""
    groups = _groups(group_by)
    people = People.of(actor.require())
    on = today()
    stmt = await coverage_queries.coverage_statement(session, on, groups, people)
    rows = _json_safe(await queries.rows(session, stmt))
    total = rows[0] if not groups and rows else None
    if groups:
        ungrouped = await coverage_queries.coverage_statement(session, on, [], people)
        total = _json_safe(await queries.rows(session, ungrouped))[0]
    table = ReportTable(
        report="coverage",
        generated_at=datetime.now().astimezone(),
        filters={"on": on},
        group_by=groups,
        figures=labels.described(coverage_queries.COVERAGE_NOTES, filing.language),
        rows=rows,
        total=total,
    )
    words = labels.text("on {day}", filing.language, day=f"{on:%d/%m/%Y}")
    notes = list(coverage_queries.COVERAGE_NOTES)
    return await _deliver(session, actor, fmt, table, notes, filing, words)


async def dispensing(
    session: AsyncSession,
    actor: Actor,
    period: Period,
    group_by: Sequence[str] | None,
    fmt: str,
    filing: Filing = Filing(),
) -> ReportTable | exports.Document:
    """Quantities and people by medicine (by default), province, ATC group, facility, month."""
    groups = _groups(group_by) or ["medicine"]
    scope = scope_of(actor, period)
    rows = await queries.rows(session, queries.dispensing_statement(scope, groups))
    total = (await queries.rows(session, queries.dispensing_statement(scope, [])))[0]
    table = ReportTable(
        report="dispensing",
        generated_at=datetime.now().astimezone(),
        filters={"date_from": period.date_from, "date_to": period.date_to},
        group_by=groups,
        figures=labels.described(DISPENSING_FIGURES, filing.language),
        rows=_json_safe(rows),
        total=total,
    )
    words = _period_words(period, filing.language)
    return await _deliver(session, actor, fmt, table, list(DISPENSING_FIGURES), filing, words)


async def health(
    session: AsyncSession,
    actor: Actor,
    period: Period,
    group_by: Sequence[str] | None,
    top: int,
    fmt: str,
    filing: Filing = Filing(),
) -> ReportTable | exports.Document:
    """Classification I-V distribution and the `top` ICD-10 diagnoses of each group."""
    groups = _groups(group_by)
    scope = scope_of(actor, period)
    rows = await _health_rows(session, scope, groups, period.year, top)
    total = await queries.rows(session, health_queries.health_total_statement(scope, period.year))
    table = ReportTable(
        report="health",
        generated_at=datetime.now().astimezone(),
        filters=period.filters(top=top),
        group_by=groups,
        figures=labels.described(HEALTH_FIGURES, filing.language),
        rows=rows,
        total=total[0],
    )
    words = _period_words(period, filing.language)
    figures = ["kind", *HEALTH_COLUMNS]
    if fmt in ("csv", "xlsx"):  # the kind of each row in words, in the file
        kinds = {key: labels.text(name, filing.language) for key, name in labels.KINDS.items()}
        table.rows = [{**row, "kind": kinds[row["kind"]]} for row in table.rows]
    return await _deliver(session, actor, fmt, table, figures, filing, words, always_total=True)


async def _health_rows(
    session: AsyncSession, scope: queries.Scope, groups: list[str], year: int, top: int
) -> list[dict[str, Any]]:
    classified = health_queries.classification_statement(scope, groups, year)
    classes = _json_safe(await queries.rows(session, classified))
    diagnosed = health_queries.diagnoses_statement(scope, groups, year, top)
    diagnoses = await queries.rows(session, diagnosed)
    kept: dict[tuple[Any, ...], int] = {}
    rows: list[dict[str, Any]] = [{**row, "kind": "classification"} for row in classes]
    for row in diagnoses:  # the database ordered each group by frequency: keep its first `top`
        group = tuple(row[g] for g in groups)
        if kept.get(group, 0) < top:
            kept[group] = kept.get(group, 0) + 1
            rows.append({**row, "kind": "diagnosis", "title": icd10.title(row["icd10_code"])})
    return rows
