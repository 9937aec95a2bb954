"""veteran-care: serve | worker | migrate | seed-demo | create-user | backup | audit verify |
audit checkpoint | purge-idempotency-keys (and more: `veteran-care --help`)"""

import asyncio
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.cli.audit import audit_app
from veteran_care.cli.common import in_session, load_settings
from veteran_care.cli.common import migrate_database as _migrate
from veteran_care.cli.printouts import print_app
from veteran_care.cli.reports import report_app
from veteran_care.config import Environment, Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.identity import service as identity
from veteran_care.models import Role
from veteran_care.web.logs import configure_logging, logging_config

if TYPE_CHECKING:
    from veteran_care.registry_import.importer import ImportSummary

app = typer.Typer(help="Veteran Care: registry, periodic checks, medicines and reports.")
app.add_typer(audit_app, name="audit")
app.add_typer(print_app, name="print")
app.add_typer(report_app, name="report")


def _seed(settings: Settings, count: int, seed: int) -> str:
    from veteran_care.demo import seed_demo

    summary = in_session(settings, lambda session: seed_demo(session, count=count, seed=seed))
    if summary.skipped:
        return "Demo data already present: nothing added."
    return (
        f"Demo data added: {summary.facilities} facilities, "
        f"{summary.beneficiaries} beneficiaries, {summary.cards} cards; at the provincial "
        f"hospital {summary.services} services, {summary.sessions} sessions this week, "
        f"{summary.lots} medicine lots; {summary.campaigns} campaign (27 July)."
    )


def _first_admin(settings: Settings) -> None:
    """With no account yet, create `admin` (password from the settings, or generated)."""
    generated = in_session(
        settings, lambda session: identity.ensure_first_admin(session, settings.admin_password)
    )
    if generated:
        typer.echo(
            "Created the first admin account. Log in as `admin` with this password "
            f"(shown only now; change it): {generated}"
        )


def _refuse_demo_in_production(settings: Settings) -> None:
    if settings.environment == Environment.production:
        typer.echo("Refusing to load demo data in production.", err=True)
        raise typer.Exit(2)


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Load demo data first.")] = False,
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply migrations before serving.")] = True,
) -> None:
    """Apply migrations, then serve the API with uvicorn (uvloop/httptools when installed)."""
    settings = load_settings()
    configure_logging(settings)
    if migrate:
        _migrate(settings)
    if demo:
        _refuse_demo_in_production(settings)
        typer.echo(_seed(settings, 300, 2027))
    _first_admin(settings)
    host = host or settings.host
    port = port or settings.port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.echo(
        f"Veteran Care API on http://{shown}:{port}  (interactive docs: http://{shown}:{port}/docs)"
    )
    if not settings.is_sqlite:
        per_worker = settings.db_pool_size + settings.db_max_overflow
        typer.echo(
            f"{workers} worker(s) x {per_worker} connections = up to {workers * per_worker} "
            "PostgreSQL connections from this instance (docs/operations.md: connection pool sizing)"
        )
    uvicorn.run(
        "veteran_care.main:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A new worker imports the command line and the app before it answers the supervisor
        # (about 1-2 s on an idle machine, several on a busy one): uvicorn's default 5 s would
        # kill and restart it in a loop.
        timeout_worker_healthcheck=settings.worker_timeout_seconds,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        proxy_headers=True,
        log_level=settings.log_level.lower(),
        access_log=False,
        log_config=logging_config(settings),
    )


@app.command()
def migrate() -> None:
    """Apply every pending migration to the configured database."""
    settings = load_settings()
    _migrate(settings)
    typer.echo("Database at the latest migration.")


@app.command("seed-demo")
def seed_demo(
    count: Annotated[int, typer.Option(min=1, max=100_000, help="Beneficiaries.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 2027,
) -> None:
    """Load deterministic demo data (facilities, beneficiaries, cards); idempotent."""
    settings = load_settings()
    _refuse_demo_in_production(settings)
    _migrate(settings)
    typer.echo(_seed(settings, count, seed))


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Option(help="Login name (lower case, 3-64 characters).")],
    full_name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[list[Role], typer.Option(help="A role; repeat for several.")],
    facility_code: Annotated[
        list[str] | None, typer.Option(help="Facility code of the user's scope; repeatable.")
    ] = None,
    province_wide: Annotated[bool, typer.Option(help="Acts on every facility.")] = False,
    province: Annotated[
        list[str] | None, typer.Option(help="2-digit code of a province of the scope; repeatable.")
    ] = None,
    nation_wide: Annotated[
        bool, typer.Option(help="Reads the reports of every province; writes nothing.")
    ] = False,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a staff user (the password is asked for, never echoed)."""
    from pydantic import ValidationError

    from veteran_care.auth.principal import system_actor
    from veteran_care.errors import DomainError
    from veteran_care.facilities import repository as facilities
    from veteran_care.identity.schemas import UserCreate

    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        facility_ids = []
        for code in facility_code or []:
            facility_id = await facilities.id_by_code(session, code)
            if facility_id is None:
                raise DomainError(f"There is no facility with code {code}.")
            facility_ids.append(facility_id)
        data = UserCreate(
            username=username,
            full_name=full_name,
            password=password,
            roles=role,
            province_wide=province_wide,
            facility_ids=facility_ids,
            province_codes=province or [],
            nation_wide=nation_wide,
        )
        account = await identity.create_user(session, system_actor("create-user"), data)
        return str(account.id)

    try:
        account_id = in_session(settings, work)
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"{'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
        raise typer.Exit(2) from exc
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Created user {username} ({account_id}).")


@app.command()
def worker() -> None:
    """Send the messages of the outbox, and write reminders as they fall due, until stopped.
    Run as many as you like on PostgreSQL (they share the work); one on SQLite, or none and
    let `serve` send (VETERAN_CARE_MESSAGES_WORKER_IN_SERVE)."""
    from veteran_care.cli import dispatch

    settings = load_settings()
    configure_logging(settings)
    dispatch.run(settings)


@app.command("mark-noshows")
def mark_noshows(
    facility_code: Annotated[str | None, typer.Option(help="Only this facility.")] = None,
) -> None:
    """Mark booked appointments of past days as no-shows (cancelled ones never are)."""
    from veteran_care.auth.principal import system_actor
    from veteran_care.errors import DomainError
    from veteran_care.facilities import repository as facilities
    from veteran_care.scheduling import booking

    settings = load_settings()

    async def work(session: AsyncSession) -> int:
        facility_id = None
        if facility_code is not None:
            facility_id = await facilities.id_by_code(session, facility_code)
            if facility_id is None:
                raise DomainError(f"There is no facility with code {facility_code}.")
        return await booking.mark_noshows(session, system_actor("mark-noshows"), None, facility_id)

    try:
        marked = in_session(settings, work)
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{marked} appointments marked as no-shows.")


@app.command("purge-idempotency-keys")
def purge_idempotency_keys() -> None:
    """Delete expired Idempotency-Keys and their stored responses (run daily, e.g. from cron)."""
    from veteran_care.idempotency.service import purge_expired

    settings = load_settings()
    purged = in_session(settings, purge_expired)
    typer.echo(f"{purged} expired idempotency keys deleted.")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document (the committed openapi.json is this output)."""
    import json

    from veteran_care.main import create_app

    typer.echo(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False, sort_keys=True))


@app.command()
def roles() -> None:
    """Print the role tables of docs/roles.md: the matrix, and each operation's permission."""
    from veteran_care.main import create_app
    from veteran_care.role_tables import matrix_markdown, operations_markdown

    typer.echo(matrix_markdown())
    typer.echo()
    typer.echo(operations_markdown(create_app().openapi()))


@app.command()
def backup(
    destination: Annotated[
        Path, typer.Argument(dir_okay=False, metavar="FILE", help="The backup file to write.")
    ],
) -> None:
    """Back up the configured database while the API runs (SQLite online backup API, or
    pg_dump custom format); restore as docs/operations.md says."""
    from veteran_care.backup import BackupError
    from veteran_care.backup import backup as make_backup

    settings = load_settings()
    try:
        typer.echo(make_backup(settings.effective_database_url, destination))
    except BackupError as exc:
        typer.echo(f"Backup failed: {exc}", err=True)
        raise typer.Exit(1) from exc


import_app = typer.Typer(help="Bring records in from files.")
app.add_typer(import_app, name="import")
SHOWN_ERRORS = 20


@import_app.command("beneficiaries")
def import_beneficiaries(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            metavar="FILE",
            help="CSV (UTF-8) or XLSX file; columns in docs/import.md.",
        ),
    ],
    facility_code: Annotated[
        str | None, typer.Option(help="Register new people whose row names no facility here.")
    ] = None,
    leave_unplaced: Annotated[
        bool,
        typer.Option(
            help="Without --facility-code: register them at no facility (only province-wide "
            "accounts see them) instead of rejecting their rows."
        ),
    ] = False,
) -> None:
    """Import beneficiaries from CSV or XLSX: validated as by the API, matched by BHXH number or
    CCCD, idempotent. Exit 0: all rows imported; 1: some rejected; 2: the file cannot be read."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from veteran_care.auth.principal import system_actor
    from veteran_care.kit.collector import batch_collector
    from veteran_care.registry_import import importer
    from veteran_care.registry_import import reading as import_reading

    settings = load_settings()

    async def run(source: BinaryIO, progress: Progress) -> importer.ImportSummary:
        task = progress.add_task("import", total=None)
        engine = create_engine(settings)
        try:
            return await importer.import_beneficiaries(
                create_sessionmaker(engine),
                source,
                system_actor("import"),
                default_facility_code=facility_code,
                unplaced_allowed=leave_unplaced,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        finally:
            await engine.dispose()

    columns = (TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        source = file.open("rb")
    except OSError as exc:
        typer.echo(f"Cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        with (
            source,
            Progress(*columns, console=Console(stderr=True), transient=True) as progress,
            batch_collector(),  # a long batch job in a process of its own (decision 0065)
        ):
            summary = asyncio.run(run(source, progress))
    except (import_reading.UnreadableFile, import_reading.InvalidFile) as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from exc
    _report_import(summary)


def _report_import(summary: "ImportSummary") -> None:
    """What an import did, on stdout, and its errors on stderr (exit 1 if rows were rejected)."""
    typer.echo(
        f"{summary.rows} rows: {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.rejected} rejected."
    )
    if summary.unplaced:
        typer.echo(
            f"{summary.unplaced} people registered at no facility: only province-wide "
            "accounts see them until one is set."
        )
    if any(e.field == "registered_facility_code" for e in summary.errors):
        typer.echo(
            "Rows that name no facility (ma_co_so) were rejected: give --facility-code CODE "
            "(or --leave-unplaced).",
            err=True,
        )
    if summary.past_checks:
        typer.echo(f"Past checks recorded: {summary.past_checks}.")
    if summary.cards:
        typer.echo(f"Cards recorded: {summary.cards}.")
    if summary.ignored_columns:
        typer.echo(f"Ignored columns: {', '.join(summary.ignored_columns)}")
    if summary.rejected:
        count = len(summary.errors) + summary.errors_omitted
        typer.echo(f"Errors (the first {min(count, SHOWN_ERRORS)} of {count}):", err=True)
        for error in summary.errors[:SHOWN_ERRORS]:
            where = f"line {error.line}" + (f", {error.field}" if error.field else "")
            typer.echo(f"  {where}: {error.message}", err=True)
        raise typer.Exit(1)
