"""`veteran-care report attendance | yearly-checks | card-coverage`: the department's reports as
the files an officer files (PDF, XLSX or CSV), made as the API makes them, for the whole
province (audited as `system`, like every command)."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.principal import system_actor
from veteran_care.cli.common import write_file
from veteran_care.reference.service import agency_name
from veteran_care.reports import card_coverage, service, yearly
from veteran_care.reports.exports import Document
from veteran_care.reports.filing import Filing
from veteran_care.reports.router import AttendanceGroup, PeopleGroup

report_app = typer.Typer(help="The department's reports as files: PDF, XLSX or CSV.")

Output = Annotated[Path, typer.Option("--output", "-o", dir_okay=False, help="The file to write.")]
Format = Annotated[
    Literal["pdf", "xlsx", "csv"], typer.Option("--format", "-f", help="pdf, xlsx or csv.")
]
Language = Annotated[
    Literal["vi", "en"] | None, typer.Option(help="vi or en (default: the configured language).")
]
ISO_DAY = ["%Y-%m-%d"]
Make = Callable[[AsyncSession, Filing], Awaitable[Any]]
ATTENDANCE_GROUPS: tuple[str, ...] = get_args(AttendanceGroup)
CARD_GROUPS: tuple[str, ...] = get_args(PeopleGroup)


def _choices(allowed: tuple[str, ...]) -> str:
    return f"{', '.join(allowed)} (repeat to nest)."


def _report(output: Path, make: Make, language: str | None) -> None:
    async def work(session: AsyncSession, _secret: str, chosen: str) -> bytes:
        filing = Filing(language=chosen, agency=await agency_name(session))
        document = await make(session, filing)
        assert isinstance(document, Document)  # a file format was asked for
        assert isinstance(document.content, str | bytes)  # these reports are never streamed
        content = document.content
        return content.encode("utf-8") if isinstance(content, str) else content

    write_file(output, work, language)


def _groups(values: list[str] | None, allowed: tuple[str, ...]) -> list[str]:
    """The groupings asked for, each one the report offers (else a message, exit status 2)."""
    for value in values or []:
        if value not in allowed:
            typer.echo(f"--group-by {value}: not one of {', '.join(allowed)}.", err=True)
            raise typer.Exit(2)
    return list(values or [])


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@report_app.command("attendance")
def attendance(
    output: Output,
    fmt: Format = "pdf",
    date_from: Annotated[
        datetime | None, typer.Option("--from", formats=ISO_DAY, help="First day, YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[
        datetime | None, typer.Option("--to", formats=ISO_DAY, help="Last day, YYYY-MM-DD.")
    ] = None,
    campaign: Annotated[uuid.UUID | None, typer.Option(help="One campaign's checkups.")] = None,
    group_by: Annotated[list[str] | None, typer.Option(help=_choices(ATTENDANCE_GROUPS))] = None,
    language: Language = None,
) -> None:
    """Attendance: booked, attended, no-show, cancelled by whom, rate; grouped."""
    actor = system_actor("report-attendance")
    period = service.Period(_day(date_from), _day(date_to), campaign)
    groups = _groups(group_by, ATTENDANCE_GROUPS)
    _report(
        output,
        lambda db, filing: service.attendance(db, actor, period, groups, fmt, filing),
        language,
    )


@report_app.command("yearly-checks")
def yearly_checks(
    output: Output,
    year: Annotated[int, typer.Option(help="The year, e.g. 2026.")],
    fmt: Format = "pdf",
    language: Language = None,
) -> None:
    """The yearly summary of periodic health checks, one sheet per breakdown."""
    actor = system_actor("report-yearly-checks")
    _report(output, lambda db, filing: yearly.summary(db, actor, year, fmt, filing), language)


@report_app.command("card-coverage")
def card_coverage_report(
    output: Output,
    fmt: Format = "pdf",
    group_by: Annotated[list[str] | None, typer.Option(help=_choices(CARD_GROUPS))] = None,
    language: Language = None,
) -> None:
    """Health-insurance cards valid today, ending soon, expired, none."""
    actor = system_actor("report-card-coverage")
    groups = _groups(group_by, CARD_GROUPS)
    _report(
        output,
        lambda db, filing: card_coverage.report(db, actor, groups, fmt, filing),
        language,
    )
