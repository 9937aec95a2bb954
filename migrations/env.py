"""Alembic environment: async engine, batch mode on SQLite, compare_type on."""

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from veteran_care import models  # noqa: F401  (registers every table on Base.metadata)
from veteran_care.config import get_settings
from veteran_care.db.base import Base
from veteran_care.db.engine import create_engine
from veteran_care.models.columns import UTCDateTime

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations never import application types: a UTC timestamp is a plain timestamptz.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            # Foreign keys were off while tables were rebuilt: the result must still hold them.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migrations left rows breaking foreign keys: {broken[:5]}")


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # Straight on the driver's connection, outside any transaction: SQLite ignores this pragma
    # inside one. Batch mode rebuilds a table by copy, drop and rename; with foreign keys on,
    # dropping a table that other rows reference fails (or cascades), so a migration of a
    # populated database must run with them off (Alembic's batch documentation says the same).
    cursor = connection.connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


async def _run_async(engine: AsyncEngine) -> None:
    try:
        async with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                await connection.run_sync(_sqlite_foreign_keys, False)
            await connection.run_sync(_run_sync)
            await connection.commit()
            if sqlite:
                await connection.run_sync(_sqlite_foreign_keys, True)
    finally:
        # Each migration run has an event loop of its own: no pooled connection may outlive it.
        await engine.dispose()


def run_migrations_online() -> None:
    # A caller may hand over a connection, an engine or an async engine (pytest-alembic does).
    connectable: Any = config.attributes.get("connection")
    if connectable is None:
        settings = get_settings()
        url = config.attributes.get("database_url")
        if url is not None:
            settings = settings.model_copy(update={"database_url": url})
        # No per-statement timeout: a backfill of a registry of a million people takes longer
        # than a request may (bench/scale.py times the migrations it runs).
        settings = settings.model_copy(update={"db_statement_timeout_ms": 0})
        asyncio.run(_run_async(create_engine(settings)))
    elif isinstance(connectable, AsyncEngine):
        asyncio.run(_run_async(connectable))
    elif isinstance(connectable, Engine):
        with connectable.begin() as connection:
            _run_sync(connection)
    else:
        _run_sync(connectable)


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations_online()
