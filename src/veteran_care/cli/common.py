"""What every command needs: the settings, one committed transaction on a short-lived
engine, and a file made in it written out."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care import migrate as migrations
from veteran_care.audit.sealer import seal_in
from veteran_care.config import Settings, get_settings
from veteran_care.db.engine import WRITE_OPTION, create_engine, create_sessionmaker
from veteran_care.errors import DomainError


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


def migrate_database(settings: Settings) -> None:
    migrations.upgrade(settings.effective_database_url)


T = TypeVar("T")


def in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on a short-lived engine, seal the audit events it
    recorded (no server may be running to do it), and commit."""

    async def run() -> T:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session:
                await session.connection(execution_options={WRITE_OPTION: True})
                result = await work(session)
                await seal_in(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def write_file(
    output: Path, work: Callable[[AsyncSession, str, str], Awaitable[bytes]], language: str | None
) -> None:
    """Make a file in one transaction (``work`` gets the session, the secret key and the
    language: the one asked for, or the configured one) and write it to ``output``; a domain
    error or a file that cannot be written is a message and exit status 2."""
    settings = load_settings()
    chosen = language or settings.default_language
    try:
        made = in_session(settings, lambda session: work(session, settings.secret_key, chosen))
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from exc
    try:
        output.write_bytes(made)
    except OSError as exc:
        typer.echo(f"Cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{output} written ({len(made)} bytes).")
