"""/api/v1/reports: attendance, coverage, dispensing, health, the yearly summary, card coverage.
JSON, CSV, XLSX, PDF (and SVG charts), chosen by `format` or the Accept header, in the language of
`Accept-Language`; every pull is audited as an export (by the service)."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.errors import problem_responses
from veteran_care.kit.i18n import negotiate
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.kit.schemas import Day
from veteran_care.kit.validation import InvalidInput
from veteran_care.reference.service import agency_name
from veteran_care.replica import ReportReader, Reports
from veteran_care.reports import card_coverage, exports, people, service, yearly
from veteran_care.reports.cards import Bucket
from veteran_care.reports.filing import Filing
from veteran_care.reports.schemas import AttendancePerson, CardPerson, ReportTable, YearlySummary

router = APIRouter(prefix="/reports", tags=["reports"])

Reporter = Annotated[Actor, allow(Permission.reports_read)]
HealthReader = Annotated[Actor, allow(Permission.reports_health)]
Format = Literal["json", "csv", "xlsx", "pdf", "svg"]
FileFormat = Literal["json", "csv", "xlsx", "pdf"]
FormatQuery = Annotated[
    Format | None,
    Query(description="json, csv, xlsx, pdf (or svg for charts); else the Accept header."),
]
AttendanceGroup = Literal[
    "province", "commune", "facility", "venue", "category", "sex", "ethnicity", "age_band", "month"
]
DispensingGroup = Literal[
    "province", "medicine", "atc_group", "facility", "month", "funding_source", "sponsor"
]
HealthGroup = Literal["province", "category", "age_band"]
PeopleGroup = Literal["province", "commune", "category"]
PEOPLE_GROUPS = Query(
    max_length=3,
    description="By province (where each person lives; of no known commune: the province of "
    "the facility they are registered at), commune of residence and/or category.",
)


def file_responses(*extra: str) -> dict[int | str, dict[str, Any]]:
    """The 200 response's other media types (JSON comes from the response model)."""
    content: dict[str, Any] = {
        "text/csv": {"schema": {"type": "string"}},
        exports.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        exports.PDF_TYPE: {"schema": {"type": "string", "format": "binary"}},
    }
    content.update({media: {"schema": {"type": "string"}} for media in extra})
    return {200: {"content": content}}


FILE_RESPONSES = file_responses()
FILE_FORMATS = ("json", "csv", "xlsx", "pdf")


async def _filing(
    request: Request, session: AsyncSession, data_as_of: datetime | None = None
) -> Filing:
    """The language the request asks for (``Accept-Language``, else the setting), the agency
    a file is made for (``VETERAN_CARE_AGENCY_NAME``, else the first province's) and, from a
    replica that is behind, how old the data is."""
    settings = request.app.state.settings
    language = negotiate(request.headers.get("accept-language"), settings.default_language)
    return Filing(language=language, agency=await agency_name(session), data_as_of=data_as_of)


async def _report(
    request: Request,
    reports: Reports,
    make: Callable[[AsyncSession, Filing], Awaitable[Any]],
) -> Any:
    """``make`` run where reports read (the replica, or the primary: decision 0056), sent."""

    async def run(session: AsyncSession, data_as_of: datetime | None) -> Any:
        filing = await _filing(request, session, data_as_of)
        report = await make(session, filing)
        if data_as_of is not None and isinstance(report, ReportTable | YearlySummary):
            report.data_as_of = data_as_of
        return report

    return _send(await reports.run(run), reports.headers)


def _format(request: Request, requested: Format | None, allowed: tuple[str, ...]) -> str:
    if requested is not None:
        if requested not in allowed:
            raise InvalidInput("query.format", f"{requested} is not offered here")
        return requested
    accept = request.headers.get("accept", "")
    for name, media in (
        ("csv", "text/csv"),
        ("xlsx", exports.XLSX_TYPE),
        ("pdf", exports.PDF_TYPE),
        ("svg", exports.SVG_TYPE),
    ):
        if media in accept and name in allowed:
            return name
    return "json"


T = TypeVar("T")


def _send(report: T | exports.Document, headers: dict[str, str]) -> T | Response:
    """A table or page goes out as the route's JSON model; a document as a file (with the
    ``headers`` the JSON model gets from the dependency that set them)."""
    if not isinstance(report, exports.Document):
        return report
    headers = dict(headers)
    if report.attachment:
        headers["Content-Disposition"] = f'attachment; filename="{report.filename()}"'
    if isinstance(report.content, str | bytes):
        return Response(report.content, media_type=report.media_type, headers=headers)
    return StreamingResponse(report.content, media_type=report.media_type, headers=headers)


@router.get(
    "/attendance",
    response_model=ReportTable,
    summary="Attendance: booked, attended, no-show, cancelled by whom, rate; grouped",
    description=(
        "For a date range and/or a campaign, grouped by any of province (of the facility: "
        "a nation-wide account's figures per province), commune, facility, venue (where "
        "a visiting team held the checkup's sessions; null: at the facility), category (a "
        "person in two categories counts in both; a person of none under `no-category`), sex, "
        "ethnicity, age_band, month. A checkup rescheduled to a day within the report counts "
        "once, as what became of it on its new day; when several examinations of a checkup "
        "were cancelled, the first cancellation says who cancelled. "
        "`format=svg` draws the attendance rate by the first grouping (commune by default)."
    ),
    responses=problem_responses() | file_responses(exports.SVG_TYPE),
)
async def attendance_report(
    request: Request,
    actor: Reporter,
    reports: ReportReader,
    date_from: Day | None = None,
    date_to: Day | None = None,
    campaign_id: uuid.UUID | None = None,
    group_by: Annotated[list[AttendanceGroup] | None, Query(max_length=8)] = None,
    format: FormatQuery = None,
) -> Any:
    fmt = _format(request, format, ("json", "csv", "xlsx", "pdf", "svg"))
    period = service.Period(date_from, date_to, campaign_id)
    return await _report(
        request,
        reports,
        lambda session, filing: service.attendance(session, actor, period, group_by, fmt, filing),
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
    reports: ReportReader,
    date_from: Day | None = None,
    date_to: Day | None = None,
    campaign_id: uuid.UUID | None = None,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Any:
    fmt = _format(request, format, ("json", "csv"))
    period = service.Period(date_from, date_to, campaign_id)
    return await _report(
        request,
        reports,
        lambda session, filing: people.attendance_people(
            session,
            actor,
            reports.sessionmaker,
            period,
            fmt,
            filing,
            cursor=cursor,
            limit=limit,
        ),
    )


@router.get(
    "/coverage",
    response_model=ReportTable,
    summary="Coverage: active people checked within their interval, due, overdue, never checked",
    description=(
        "Active people of at least one category, as of today, by province, commune and/or "
        "category. A province's officer counts the people registered at the province's "
        "facilities and those living in the province."
    ),
    responses=problem_responses() | FILE_RESPONSES,
)
async def coverage_report(
    request: Request,
    actor: Reporter,
    reports: ReportReader,
    group_by: Annotated[list[PeopleGroup] | None, PEOPLE_GROUPS] = None,
    format: Annotated[FileFormat | None, Query()] = None,
) -> Any:
    fmt = _format(request, format, FILE_FORMATS)
    return await _report(
        request,
        reports,
        lambda session, filing: service.coverage(session, actor, group_by, fmt, filing),
    )


@router.get(
    "/dispensing",
    response_model=ReportTable,
    summary="Dispensing: quantities and people by medicine, province, ATC group, facility, month",
    responses=problem_responses() | FILE_RESPONSES,
)
async def dispensing_report(
    request: Request,
    actor: Reporter,
    reports: ReportReader,
    date_from: Day | None = None,
    date_to: Day | None = None,
    group_by: Annotated[
        list[DispensingGroup] | None,
        Query(
            max_length=7,
            description="By medicine (the default), province (of the facility that dispensed: "
            "a nation-wide account's figures per province), ATC group, facility, month, and by "
            "who paid for the lots: `funding_source` (state-budget, health-insurance, sponsor, "
            "unknown) and `sponsor` (the sponsor's name). A dispense drawn from lots of two "
            "payers counts its units under each.",
        ),
    ] = None,
    format: Annotated[FileFormat | None, Query()] = None,
) -> Any:
    fmt = _format(request, format, FILE_FORMATS)
    period = service.Period(date_from, date_to)
    return await _report(
        request,
        reports,
        lambda session, filing: service.dispensing(session, actor, period, group_by, fmt, filing),
    )


@router.get(
    "/health",
    response_model=ReportTable,
    summary="Health: classification I-V distribution and the most frequent ICD-10 diagnoses",
    description=(
        "For clinicians and admins only. Grouped by province (of the facility where the "
        "checkup was booked, as attendance), category and/or age band."
    ),
    responses=problem_responses() | FILE_RESPONSES,
)
async def health_report(
    request: Request,
    actor: HealthReader,
    reports: ReportReader,
    date_from: Day | None = None,
    date_to: Day | None = None,
    campaign_id: uuid.UUID | None = None,
    group_by: Annotated[list[HealthGroup] | None, Query(max_length=3)] = None,
    top: Annotated[int, Query(ge=1, le=50)] = 10,
    format: Annotated[FileFormat | None, Query()] = None,
) -> Any:
    fmt = _format(request, format, FILE_FORMATS)
    period = service.Period(date_from, date_to, campaign_id)
    return await _report(
        request,
        reports,
        lambda session, filing: service.health(session, actor, period, group_by, top, fmt, filing),
    )


@router.get(
    "/yearly-checks",
    response_model=YearlySummary,
    summary="Yearly summary of periodic health checks: by category and by commune",
    description=(
        "As the department receives it: the people on the registry, those due, those examined, "
        "their health class I-V, those referred for treatment and the medicines handed out, by "
        "category and by commune, with the totals. On the registry: active people today; a "
        "person of several categories counts in each, a person of none under `no-category`, "
        "and the totals count each person once. Due: not checked within their interval as "
        "reckoned on 31 December, counting checks before 1 January. Examined: an attended "
        "checkup in the year. Health class and referred (a follow-up visit named): the latest "
        "concluded checkup of the year. Medicines: completed dispenses of the year. "
        "`format=xlsx` gives one sheet per breakdown, ready to print (A4 landscape), `format=pdf` "
        "the same, printed (a page or more per breakdown); "
        "`format=csv` the two tables one after the other."
    ),
    responses=problem_responses() | FILE_RESPONSES,
)
async def yearly_checks(
    request: Request,
    actor: Reporter,
    reports: ReportReader,
    year: Annotated[int, Query(ge=2000, le=2100, description="The calendar year.")],
    format: Annotated[FileFormat | None, Query()] = None,
) -> Any:
    fmt = _format(request, format, FILE_FORMATS)
    return await _report(
        request,
        reports,
        lambda session, filing: yearly.summary(session, actor, year, fmt, filing),
    )


@router.get(
    "/card-coverage",
    response_model=ReportTable,
    summary="Card coverage: cards valid today, ending within 30 or 60 days, expired, none",
    description=(
        "Active people as of today, by province (where each lives), commune and/or category "
        "(a province's officer counts the people registered at the province's facilities and "
        "those living in the province). Only cards of status `active` "
        "count. Each person is in one of valid, expired or none (they add up to `active`); "
        "expiring_30 and expiring_60 are among the valid (the card valid today ends within 30 "
        "or 60 days, that day included; expiring_60 includes expiring_30). A person of several "
        "categories counts in each, of none under `no-category`; `total` counts each person "
        "once. The people behind a figure: `/reports/card-coverage/people?bucket=...`."
    ),
    responses=problem_responses() | FILE_RESPONSES,
)
async def card_coverage_report(
    request: Request,
    actor: Reporter,
    reports: ReportReader,
    group_by: Annotated[list[PeopleGroup] | None, PEOPLE_GROUPS] = None,
    format: Annotated[FileFormat | None, Query()] = None,
) -> Any:
    fmt = _format(request, format, FILE_FORMATS)
    return await _report(
        request,
        reports,
        lambda session, filing: card_coverage.report(session, actor, group_by, fmt, filing),
    )


@router.get(
    "/card-coverage/people",
    response_model=Page[CardPerson],
    summary="The people behind a card coverage figure",
    description=(
        "The active people of a bucket (valid, expiring_30, expiring_60, expired, none, as in "
        "the report), of a commune and/or a category if given (`no-category`: people of none), "
        "by name. JSON pages (keyset), or the whole list as CSV, XLSX or PDF."
    ),
    responses=problem_responses() | FILE_RESPONSES,
)
async def card_coverage_people(
    request: Request,
    actor: Reporter,
    reports: ReportReader,
    bucket: Annotated[Bucket, Query(description="Which figure's people.")],
    commune: Annotated[
        str | None, Query(pattern=r"^[0-9]{5}$", description="5-digit commune code.")
    ] = None,
    category: Annotated[
        str | None,
        Query(pattern=r"^[a-z][a-z-]{1,39}$", description="Category code, or `no-category`."),
    ] = None,
    format: Annotated[FileFormat | None, Query()] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Any:
    fmt = _format(request, format, FILE_FORMATS)
    return await _report(
        request,
        reports,
        lambda session, filing: card_coverage.people(
            session,
            actor,
            bucket,
            (commune, category),
            fmt,
            filing,
            cursor=cursor,
            limit=limit,
        ),
    )
