"""`veteran-care print slips | day-list | health-check-form`: the printouts of the API, written
to a file (audited as `system`, like every command)."""

import uuid
from pathlib import Path
from typing import Annotated, Literal

import typer

from veteran_care.auth.principal import system_actor
from veteran_care.cli.common import write_file
from veteran_care.printouts import service

print_app = typer.Typer(help="Printouts as PDF: appointment slips, day lists, health-check forms.")

Output = Annotated[Path, typer.Option("--output", "-o", dir_okay=False, help="The PDF to write.")]
Language = Annotated[
    Literal["vi", "en"] | None, typer.Option(help="vi or en (default: the configured language).")
]


@print_app.command("slips")
def print_slips(
    output: Output,
    checkup: Annotated[uuid.UUID | None, typer.Option(help="One checkup's slip.")] = None,
    session: Annotated[uuid.UUID | None, typer.Option(help="Every slip of a session.")] = None,
    campaign: Annotated[uuid.UUID | None, typer.Option(help="Every slip of a campaign.")] = None,
    language: Language = None,
) -> None:
    """Appointment slips, two per A4 sheet: of one checkup, a session or a campaign."""
    if [checkup, session, campaign].count(None) != 2:
        typer.echo("Name one of --checkup, --session or --campaign.", err=True)
        raise typer.Exit(2)
    actor = system_actor("print-slips")
    write_file(
        output,
        lambda db, secret, lang: service.slips_pdf(
            db, actor, secret, lang, checkup_id=checkup, session_id=session, campaign_id=campaign
        ),
        language,
    )


@print_app.command("day-list")
def print_day_list(
    output: Output,
    session: Annotated[uuid.UUID, typer.Option(help="The session.")],
    language: Language = None,
) -> None:
    """The day list of a session: everyone booked, with a column to sign."""
    actor = system_actor("print-day-list")
    write_file(output, lambda db, _, lang: service.day_list_pdf(db, actor, lang, session), language)


@print_app.command("health-check-form")
def print_health_check_form(
    output: Output,
    checkup: Annotated[uuid.UUID, typer.Option(help="The checkup.")],
    language: Language = None,
) -> None:
    """The periodic health-check form of a checkup, pre-filled (Circular 32/2023/TT-BYT)."""
    actor = system_actor("print-health-check-form")
    write_file(
        output, lambda db, _, lang: service.health_form_pdf(db, actor, lang, checkup), language
    )
