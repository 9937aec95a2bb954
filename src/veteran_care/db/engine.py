"""Engines and session factories, through SQLAlchemy's documented hooks only. SQLite: the stock
``sqlite+aiosqlite`` dialect with SQLAlchemy's recipe for explicit transactions (its SQLite
dialect's "Serializable isolation / Savepoints / Transactional DDL"), ``BEGIN IMMEDIATE`` for a
write session so that a writer takes the lock up front rather than failing half-way."""

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from veteran_care.config import Settings

# An execution option of a session's first connection: the transaction will write.
WRITE_OPTION = "veteran_care_write"
PING_AFTER_IDLE_SECONDS = 5.0
_LAST_USED = "veteran_care_last_used"


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # the recipe: SQLAlchemy's begin event decides
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(WRITE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _sqlite_engine(url: str, settings: Settings) -> AsyncEngine:
    if ":memory:" not in url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    # sqlite3's ``timeout`` is SQLite's busy timeout
    timeout = settings.sqlite_busy_timeout_ms / 1000
    engine = _create_async_engine(url, connect_args={"timeout": timeout})
    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _postgresql_engine(url: str, settings: Settings) -> AsyncEngine:
    server_settings = {"application_name": "veteran-care"}
    connect_args: dict[str, Any] = {"timeout": 5, "server_settings": server_settings}
    if settings.db_statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
        # bounds the wait when the server cannot even cancel (a host gone silent mid-query)
        connect_args["command_timeout"] = settings.db_statement_timeout_ms / 1000 + 5
    engine = _create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle_seconds,
        connect_args=connect_args,
    )
    _ping_when_idle(engine)
    return engine


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    url = url or settings.effective_database_url
    if url.startswith("sqlite"):
        return _sqlite_engine(url, settings)
    return _postgresql_engine(url, settings)


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection idle for a few seconds at checkout, replace it if the ping fails
    (``pool_pre_ping`` would ping every checkout: a round trip per request)."""
    dialect = engine.dialect

    def used(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_LAST_USED] = time.monotonic()

    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and driver.is_closed():  # the server closed it and asyncpg saw it
            raise DisconnectionError("pooled connection was closed by the server")
        last_used = record.info.get(_LAST_USED)
        if last_used is not None and time.monotonic() - last_used < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool discards the connection and connects again
            raise DisconnectionError("pooled connection failed its ping") from exc

    event.listen(engine.sync_engine, "connect", used)
    event.listen(engine.sync_engine, "checkin", used)
    event.listen(engine.sync_engine, "checkout", checkout)


def create_sessionmaker(
    engine: AsyncEngine, *, autocommit: bool = False
) -> async_sessionmaker[AsyncSession]:
    """``autocommit``: on PostgreSQL no ``BEGIN``/``ROLLBACK`` around a lone read."""
    if autocommit and engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
