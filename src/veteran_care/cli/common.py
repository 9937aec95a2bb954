"""What every command needs: the settings, and one committed transaction on a short-lived
engine."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care import migrate as migrations
from veteran_care.audit.sealer import seal_in
from veteran_care.config import Settings, get_settings
from veteran_care.db.engine import WRITE_OPTION, create_engine, create_sessionmaker


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
