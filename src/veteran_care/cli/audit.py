"""`veteran-care audit seal`, `audit checkpoint` and `audit verify`.

Each seals first: the rows committed since the sealer's last round are chained, so that the
checkpoint and the check cover everything committed."""

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import checkpoint as checkpoints
from veteran_care.audit import sealer
from veteran_care.cli.common import in_session, load_settings
from veteran_care.config import Settings

audit_app = typer.Typer(help="The audit trail.")


@audit_app.command("seal")
def audit_seal() -> None:
    """Chain the audit events committed since the sealer's last round (the server seals every
    second on its own; this is for a database no server is running on)."""
    sealed = in_session(load_settings(), sealer.seal_in)
    typer.echo(f"{sealed} audit events sealed.")


async def _sealed_head(session: AsyncSession) -> checkpoints.Checkpoint:
    await sealer.seal_in(session)
    return await checkpoints.take(session)


@audit_app.command("checkpoint")
def audit_checkpoint(
    output: Annotated[
        Path | None,
        typer.Option(dir_okay=False, metavar="FILE", help="Write here, not to standard output."),
    ] = None,
) -> None:
    """Write the audit trail's head (rows, last id, last hash, time), signed with the
    checkpoint key, for the operator to keep away from the database: `audit verify
    --checkpoint FILE` later names the rows missing or changed since."""
    settings = load_settings()
    taken = in_session(settings, _sealed_head)
    document = checkpoints.dumps(taken, checkpoints.checkpoint_key(settings))
    if output is None:
        typer.echo(document, nl=False)
        return
    try:
        checkpoints.write(output, document)
    except OSError as exc:
        typer.echo(f"Cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Checkpoint written to {output}: {taken.rows} rows, last id {taken.last_id}.")


def _read_checkpoint(settings: Settings, path: Path) -> checkpoints.Checkpoint:
    try:
        return checkpoints.read(path, checkpoints.checkpoint_key(settings))
    except checkpoints.CheckpointError as exc:
        typer.echo(f"Checkpoint {path} refused: {exc}.", err=True)
        raise typer.Exit(2) from exc


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, metavar="FILE", help="A checkpoint the trail must still reach."
        ),
    ] = None,
) -> None:
    """Check the hash chain of the whole audit trail; name the first broken row. With
    --checkpoint, the trail must also still reach that checkpoint's head: the rows missing
    from the tail, or the row changed at the head, are named. Exit 0: intact; 1: broken or
    short of the checkpoint; 2: the checkpoint file is refused (unreadable or not signed
    with the checkpoint key)."""
    from veteran_care.audit.service import Verification, verify

    settings = load_settings()
    expected = _read_checkpoint(settings, checkpoint) if checkpoint else None

    async def work(session: AsyncSession) -> tuple[Verification, str | None]:
        await sealer.seal_in(session)
        result = await verify(session)
        head = await checkpoints.check(session, expected) if expected else None
        return result, head.problem() if head else None

    result, problem = in_session(settings, work)
    if not result.intact:
        typer.echo(
            f"Audit trail BROKEN at row {result.first_broken_id}: {result.reason} "
            f"({result.rows} rows read).",
            err=True,
        )
    written = expected.written_at.isoformat() if expected else ""
    if problem is not None:
        typer.echo(f"Audit trail does NOT reach the checkpoint of {written}: {problem}.", err=True)
    if not result.intact or problem is not None:
        raise typer.Exit(1)
    reached = f", the checkpoint of {written} reached" if expected else ""
    unsealed = (
        f"; {result.unsealed} rows committed meanwhile, not yet sealed" if result.unsealed else ""
    )
    typer.echo(f"Audit trail intact: {result.rows} rows checked{reached}{unsealed}.")
