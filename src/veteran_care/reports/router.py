"""/api/v1/reports: attendance, coverage, dispensing, health. JSON, CSV, XLSX (and SVG charts),
chosen by `format` or the Accept header; every pull is audited as an export."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from veteran_care.audit import service as audit
from veteran_care.db import WriteSession, plan_each_execution
from veteran_care.errors import Unprocessable, problem_responses
from veteran_care.identity.dependencies import allow
from veteran_care.identity.permissions import Permission
from veteran_care.identity.principal import Actor, mask
from veteran_care.kit.clock import today
from veteran_care.kit.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Page,
    SortKey,
    page_of,
    paginate,
)
from veteran_care.kit.schemas import Day
from veteran_care.models import Checkup
from veteran_care.reports import exports, queries

router = APIRouter(prefix="/reports", tags=["reports"])

Reporter = Annotated[Actor, allow(Permission.reports_read)]
HealthReader = Annotated[Actor, allow(Permission.reports_health)]
Format = Literal["json", "csv", "xlsx", "svg"]
FormatQuery = Annotated[
    Format | None, Query(description="json, csv, xlsx (or svg for charts); else the Accept header.")
]
AttendanceGroup = Literal[
    "commune", "facility", "category", "sex", "ethnicity", "age_band", "month"
]


def file_responses(*extra: str) -> dict[int | str, dict[str, Any]]:
    """The 200 response's other media types (JSON comes from the response model)."""
    content: dict[str, Any] = {
        "text/csv": {"schema": {"type": "string"}},
        exports.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
    }
    content.update({media: {"schema": {"type": "string"}} for media in extra})
    return {200: {"content": content}}


FILE_RESPONSES = file_responses()


class ReportTable(BaseModel):
    report: str
    generated_at: datetime
    filters: dict[str, Any]
    group_by: list[str]
    figures: dict[str, str] = Field(description="What each figure counts (which statuses).")
    formula: str | None = None
    rows: list[dict[str, Any]]


def _format(request: Request, requested: Format | None, allowed: tuple[str, ...]) -> str:
    if requested is not None:
        if requested not in allowed:
            raise Unprocessable(f"format: {requested} is not offered here.", field="format")
        return requested
    accept = request.headers.get("accept", "")
    for name, media in (
        ("csv", "text/csv"),
        ("xlsx", exports.XLSX_TYPE),
        ("svg", exports.SVG_TYPE),
    ):
        if media in accept and name in allowed:
            return name
    return "json"


def _scope(
    actor: Actor, date_from: date | None, date_to: date | None, campaign: uuid.UUID | None
) -> queries.Scope:
    if date_from and date_to and date_to < date_from:
        raise Unprocessable("date_to must be on or after date_from.", field="date_to")
    principal = actor.require()
    return queries.Scope(date_from, date_to, campaign, principal.scope)


def _groups(group_by: Sequence[str] | None) -> list[str]:
    groups = list(dict.fromkeys(group_by or []))
    return groups


def _json_safe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.value if hasattr(v, "value") else v) for k, v in row.items()} for row in rows]


async def _respond(
    session: WriteSession,
    actor: Actor,
    kind: str,
    fmt: str,
    table: ReportTable,
    columns: list[str],
) -> ReportTable | Response:
    await audit.record(session, actor, "export", resource_type="report", detail=f"{kind} as {fmt}")
    if fmt == "csv":
        return exports.csv_response(kind, columns, table.rows)
    if fmt == "xlsx":
        return exports.xlsx_response(kind, columns, table.rows)
    return table


def _with_rate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        seen = (row["attended"] or 0) + (row["noshow"] or 0)
        row["attendance_rate"] = round(100 * row["attended"] / seen, 1) if seen else None
    return rows


ATTENDANCE_FIGURES = [
    "booked",
    "attended",
    "noshow",
    "cancelled_by_patient",
    "cancelled_by_facility",
    "pending",
    "attendance_rate",
]


@router.get(
    "/attendance",
    response_model=ReportTable,
    summary="Attendance: booked, attended, no-show, cancelled by whom, rate; grouped",
    description=(
        "For a date range and/or a campaign, grouped by any of commune, facility, category (a "
        "person in two categories counts in both), sex, ethnicity, age_band, month. "
        "`format=svg` draws the attendance rate by the first grouping (commune by default)."
    ),
    responses=problem_responses() | file_responses(exports.SVG_TYPE),
)
async def attendance_report(
    request: Request,
    actor: Reporter,
    session: WriteSession,
    date_from: Day | None = None,
    date_to: Day | None = None,
    campaign_id: uuid.UUID | None = None,
    group_by: Annotated[list[AttendanceGroup] | None, Query(max_length=7)] = None,
    format: FormatQuery = None,
) -> Any:
    fmt = _format(request, format, ("json", "csv", "xlsx", "svg"))
    groups = _groups(group_by)
    if fmt == "svg" and not groups:
        groups = ["commune"]
    scope = _scope(actor, date_from, date_to, campaign_id)
    year = (date_to or today()).year
    rows = _with_rate(
        _json_safe(await queries.rows(session, queries.attendance_statement(scope, groups, year)))
    )
    table = ReportTable(
        report="attendance",
        generated_at=datetime.now().astimezone(),
        filters={"date_from": date_from, "date_to": date_to, "campaign_id": campaign_id},
        group_by=groups,
        figures=queries.STATUS_NOTES | {"attendance_rate": queries.RATE_FORMULA},
        formula=queries.RATE_FORMULA,
        rows=rows,
    )
    if fmt == "svg":
        await audit.record(
            session, actor, "export", resource_type="report", detail="attendance as svg"
        )
        label = groups[0]
        svg = exports.bar_chart_svg(
            f"Tỷ lệ tham gia khám theo {label} (attendance rate by {label})",
            [(str(r[label]), r["attendance_rate"]) for r in rows],
        )
        return Response(svg, media_type=exports.SVG_TYPE)
    return await _respond(session, actor, "attendance", fmt, table, groups + ATTENDANCE_FIGURES)


class AttendancePerson(BaseModel):
    checkup_id: uuid.UUID
    date: date
    facility_id: uuid.UUID
    beneficiary_id: uuid.UUID
    full_name: str
    phone: str | None
    commune: str | None
    sex: str
    age_band: str | None
    outcome: str


EXPORT_BATCH = 2000  # rows per fetch of the CSV export on SQLite
PEOPLE_KEY = SortKey(
    Checkup.date, parse=lambda v: date.fromisoformat(v), dump=lambda v: v.isoformat()
)


@router.get(
    "/attendance/people",
    response_model=Page[AttendancePerson],
    summary="Who was booked and whether they came (the list behind the attendance figures)",
    description="JSON pages (keyset); `format=csv` streams the whole list with flat memory.",
    responses=problem_responses()
    | {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def attendance_people(
    request: Request,
    actor: Reporter,
    session: WriteSession,
    date_from: Day | None = None,
    date_to: Day | None = None,
    campaign_id: uuid.UUID | None = None,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Any:
    fmt = _format(request, format, ("json", "csv"))
    scope = _scope(actor, date_from, date_to, campaign_id)
    year = (date_to or today()).year
    masked = not actor.require().sees_identifiers
    await audit.record(
        session, actor, "export", resource_type="report", detail=f"attendance people as {fmt}"
    )
    if fmt == "csv":
        stem = "attendance-people"
        listed = queries.attendance_people_statement(scope, year, mask_phones=masked, keyed=False)
        sessionmaker = request.app.state.sessionmaker
        if session.get_bind().dialect.name == "postgresql":
            return exports.csv_copy_stream(stem, sessionmaker, listed)

        async def batches() -> Any:
            async with sessionmaker() as reader:
                result = await reader.stream(listed.execution_options(yield_per=EXPORT_BATCH))
                async for batch in result.partitions():
                    yield batch

        return exports.csv_stream(stem, queries.PEOPLE_COLUMNS, batches())
    stmt = queries.attendance_people_statement(scope, year)
    keyed = paginate(
        stmt.order_by(None),
        id_column=Checkup.id,
        sort="date",
        key=PEOPLE_KEY,
        cursor=cursor,
        limit=limit,
    )
    await plan_each_execution(session)
    rows = (await session.execute(keyed)).all()
    items, next_cursor = page_of(rows, sort="date", key=PEOPLE_KEY, limit=limit)
    people = []
    for row in items:
        item = dict(row._mapping)
        if masked:
            item["phone"] = mask(item["phone"])
        people.append(AttendancePerson.model_validate(item))
    return Page(items=people, next_cursor=next_cursor)


@router.get(
    "/coverage",
    response_model=ReportTable,
    summary="Coverage: active people checked within their interval, due, overdue, never checked",
    responses=problem_responses() | FILE_RESPONSES,
)
async def coverage_report(
    request: Request,
    actor: Reporter,
    session: WriteSession,
    group_by: Annotated[list[Literal["commune", "category"]] | None, Query(max_length=2)] = None,
    format: Annotated[Literal["json", "csv", "xlsx"] | None, Query()] = None,
) -> Any:
    fmt = _format(request, format, ("json", "csv", "xlsx"))
    groups = _groups(group_by)
    principal = actor.require()
    stmt = await queries.coverage_statement(session, today(), groups, principal.scope)
    table = ReportTable(
        report="coverage",
        generated_at=datetime.now().astimezone(),
        filters={"on": today()},
        group_by=groups,
        figures=queries.COVERAGE_NOTES,
        rows=_json_safe(await queries.rows(session, stmt)),
    )
    return await _respond(
        session, actor, "coverage", fmt, table, groups + list(queries.COVERAGE_NOTES)
    )


@router.get(
    "/dispensing",
    response_model=ReportTable,
    summary="Dispensing: quantities and people by medicine, ATC group, facility, month",
    responses=problem_responses() | FILE_RESPONSES,
)
async def dispensing_report(
    request: Request,
    actor: Reporter,
    session: WriteSession,
    date_from: Day | None = None,
    date_to: Day | None = None,
    group_by: Annotated[
        list[Literal["medicine", "atc_group", "facility", "month"]] | None, Query(max_length=4)
    ] = None,
    format: Annotated[Literal["json", "csv", "xlsx"] | None, Query()] = None,
) -> Any:
    fmt = _format(request, format, ("json", "csv", "xlsx"))
    groups = _groups(group_by) or ["medicine"]
    scope = _scope(actor, date_from, date_to, None)
    table = ReportTable(
        report="dispensing",
        generated_at=datetime.now().astimezone(),
        filters={"date_from": date_from, "date_to": date_to},
        group_by=groups,
        figures={
            "quantity": "units handed out by completed dispenses "
            "(cancelled and entered-in-error left out)",
            "people": "distinct beneficiaries",
            "dispenses": "completed dispenses",
        },
        rows=_json_safe(await queries.rows(session, queries.dispensing_statement(scope, groups))),
    )
    return await _respond(
        session, actor, "dispensing", fmt, table, [*groups, "quantity", "people", "dispenses"]
    )


@router.get(
    "/health",
    response_model=ReportTable,
    summary="Health: classification I-V distribution and the most frequent ICD-10 diagnoses",
    description="For clinicians and admins only.",
    responses=problem_responses() | FILE_RESPONSES,
)
async def health_report(
    request: Request,
    actor: HealthReader,
    session: WriteSession,
    date_from: Day | None = None,
    date_to: Day | None = None,
    campaign_id: uuid.UUID | None = None,
    group_by: Annotated[list[Literal["category", "age_band"]] | None, Query(max_length=2)] = None,
    top: Annotated[int, Query(ge=1, le=50)] = 10,
    format: Annotated[Literal["json", "csv", "xlsx"] | None, Query()] = None,
) -> Any:
    from veteran_care.clinical import icd10

    fmt = _format(request, format, ("json", "csv", "xlsx"))
    groups = _groups(group_by)
    scope = _scope(actor, date_from, date_to, campaign_id)
    year = (date_to or today()).year
    classes = _json_safe(
        await queries.rows(session, queries.classification_statement(scope, groups, year))
    )
    diagnoses = await queries.rows(session, queries.diagnoses_statement(scope, groups, year, top))
    kept: dict[tuple[Any, ...], int] = {}
    rows: list[dict[str, Any]] = [{**row, "kind": "classification"} for row in classes]
    for row in diagnoses:  # the database ordered each group by frequency: keep its first `top`
        group = tuple(row[g] for g in groups)
        if kept.get(group, 0) < top:
            kept[group] = kept.get(group, 0) + 1
            rows.append({**row, "kind": "diagnosis", "title": icd10.title(row["icd10_code"])})
    table = ReportTable(
        report="health",
        generated_at=datetime.now().astimezone(),
        filters={
            "date_from": date_from,
            "date_to": date_to,
            "campaign_id": campaign_id,
            "top": top,
        },
        group_by=groups,
        figures={
            "checkups": "concluded checkups per health class I-V",
            "diagnoses": "ICD-10 diagnoses of results not entered in error",
            "people": "distinct beneficiaries with the diagnosis",
        },
        rows=rows,
    )
    columns = [
        "kind",
        *groups,
        "health_class",
        "checkups",
        "icd10_code",
        "title",
        "diagnoses",
        "people",
    ]
    return await _respond(session, actor, "health", fmt, table, columns)
