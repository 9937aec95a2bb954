"""Engine, session factory, declarative base and the request-scoped session dependencies.

The request edge owns the transaction (docs/decisions/0002): services flush, the dependency
commits. The dependencies use ``scope="function"`` so that the commit runs after the endpoint
returns and *before* the response is sent: a 2xx is only ever sent for a durable write.
"""

import asyncio
import hashlib
import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Integer, MetaData, TypeDecorator, Uuid, event, text
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import greenlet_spawn

from veteran_care import sqlite_driver
from veteran_care.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WRITE_OPTION = "veteran_care_write"

# Session.info keys of the chain lock's short commit (docs/decisions/0012): a session that will
# wait for durability after its commit lets the audit hook commit without waiting for the WAL
# flush while it holds the chain lock; the hook then marks the flush as due.
FLUSH_AFTER_COMMIT_ALLOWED = "veteran_care.flush_after_commit_allowed"
FLUSH_DUE = "veteran_care.flush_due"
# Sent outside any transaction (autocommit): it assigns a transaction id, so its commit record
# is flushed synchronously, and with it every earlier commit record (see commit_durably).
DURABLE_FLUSH_SQL = "SELECT pg_current_xact_id()"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """Optimistic concurrency: UPDATE ... WHERE version = :seen; the ETag is the version."""

    version: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


# sha256 in hex of a text's UTF-8 bytes, as a function of SQLite connections: the audit chain
# computes a new event's hash in its INSERT, as PostgreSQL's sha256() does.
SQLITE_SHA256_HEX = "vc_sha256_hex"


def _sha256_hex(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


def _sqlite_on_connect(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
        # SAVEPOINTs work and writes can take the lock up front (BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.create_function(SQLITE_SHA256_HEX, 1, _sha256_hex, deterministic=True)

    return on_connect


def _sqlite_on_begin(conn: Connection) -> None:
    # A write transaction takes SQLite's write lock when it starts; a deferred transaction
    # that later tries to write can fail at once with SQLITE_BUSY instead of waiting.
    options = conn.get_execution_options()
    begin = "BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN"
    dbapi_connection = conn.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite_driver.OneTripConnection):
        dbapi_connection.defer_begin(begin)  # sent in the trip of the first statement
    else:
        conn.exec_driver_sql(begin)


def create_engine(settings: Settings) -> AsyncEngine:
    # aiosqlite logs every statement *with its parameters* at DEBUG: personal data must never
    # reach a log, whatever the log level.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        if ":memory:" not in url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        driver = make_url(url).get_driver_name()
        # One trip to aiosqlite's thread per statement, not four (sqlite_driver).
        module = {"module": sqlite_driver.dbapi()} if driver == "aiosqlite" else {}
        engine = create_async_engine(url, connect_args={"timeout": 30}, **module)
        event.listen(
            engine.sync_engine, "connect", _sqlite_on_connect(settings.sqlite_busy_timeout_ms)
        )
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine
    # asyncpg prepares every statement, and PostgreSQL keeps each prepared statement's plan
    # once a generic plan looks as good as the custom ones (from the sixth execution). The
    # report-like queries plan for their parameters instead (plan_each_execution).
    server_settings = {"application_name": "veteran-care"}
    connect_args: dict[str, Any] = {"timeout": 5, "server_settings": server_settings}
    if settings.db_statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
        # The server cancels a slow statement; this bounds the wait when the server cannot
        # answer at all (a host gone silent mid-query, or the ping of a dead socket).
        connect_args["command_timeout"] = settings.db_statement_timeout_ms / 1000 + 5
    # Outage behaviour (tests/faults/test_outage.py): a connection the database dropped is
    # replaced at checkout (_ping_when_idle); while it is down, connecting is refused at once or
    # times out after 5 s, and the request gets 503 problem+json with Retry-After (errors.py).
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle_seconds,
        connect_args=connect_args,
    )
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0
_LAST_USED = "veteran_care_last_used"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """A pooled connection idle for more than a few seconds is pinged before use, and replaced
    if the ping fails (the database restarted, a firewall dropped it). ``pool_pre_ping`` pinged
    on every checkout: with asyncpg that is three round trips (BEGIN, a query, ROLLBACK), two
    checkouts per request (the token's account, the endpoint): 6 of a report's 15 round trips.
    A connection returned moments ago is as good as a ping says."""
    dialect = engine.dialect

    def used(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_LAST_USED] = time.monotonic()

    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and driver.is_closed():
            # The server closed it (terminated, restarted) and the driver saw it: no round trip.
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


def create_sessionmaker(engine: AsyncEngine | Any) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# Opens what a read of one Core statement runs on (``async with connect() as connection``): the
# test's session in the tests (``identity.repository.account_reader``).
ConnectForRead = Callable[[], AbstractAsyncContextManager[AsyncConnection | AsyncSession]]


def _as_sqlalchemy_error(
    dialect: Dialect, exc: Any, statement: str | None, args: Any
) -> BaseException:
    """The driver's error as SQLAlchemy raises it (an OperationalError when the database is
    down, starting up or locked), marked invalidated when the dialect sees a disconnect."""
    error: BaseException = DBAPIError.instance(
        statement,
        args,
        exc,
        dialect.loaded_dbapi.Error,
        connection_invalidated=dialect.is_disconnect(exc, None, None),
        dialect=dialect,
    )
    return error


async def fetch_on_driver(engine: AsyncEngine, statement: str, *args: Any) -> list[Any]:
    """The rows of one statement compiled for this engine's dialect, sent to the driver
    directly on a pooled connection: no BEGIN, no SQLAlchemy ``Connection``, no result
    processing (the caller converts the values it needs). PostgreSQL: asyncpg's ``fetch``, in
    its autocommit. SQLite: aiosqlite's ``execute_fetchall``, one visit to its thread; the
    connection runs the statement in a transaction of its own (``_sqlite_on_connect``).

    For the account check every authenticated request makes: 80 µs of CPU here against 200
    through SQLAlchemy (decision 0020). The pool's checkout still replaces a connection the
    server closed; the driver's errors are raised as SQLAlchemy's (a 503 when the database is
    away)."""
    dialect = engine.dialect
    try:
        pooled = await engine.raw_connection()
    except dialect.loaded_dbapi.Error as exc:
        raise _as_sqlalchemy_error(dialect, exc, None, None) from exc
    try:
        driver: Any = pooled.driver_connection
        if dialect.name == "postgresql":
            with driver_errors(statement, driver):
                rows: list[Any] = await driver.fetch(statement, *args)
                return rows
        try:
            return list(await driver.execute_fetchall(statement, args))
        except dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemy_error(dialect, exc, statement, args) from exc
    finally:
        await greenlet_spawn(pooled.close)


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session


@contextmanager
def driver_errors(statement: str, driver: Any) -> Iterator[None]:
    """Around a call sent to asyncpg directly (outside SQLAlchemy's execution): its errors are
    raised as SQLAlchemy's ``DBAPIError``, marked invalidated when the connection is gone, so the
    error handlers answer as for any other statement (503 when the database is unavailable),
    never a bare driver error and a 500."""
    import asyncpg  # type: ignore[import-untyped]

    try:
        yield
    except TimeoutError:
        # asyncpg's command_timeout: the statement was cancelled, the connection stays usable.
        # Raised as it is, as SQLAlchemy's adapter raises it: a 503 (errors.py), not a 500.
        raise
    except (
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,  # not an InterfaceError: "another operation is in progress"
        OSError,
    ) as exc:
        raise DBAPIError(statement, None, exc, connection_invalidated=driver.is_closed()) from exc


def forget_committed_transaction(dbapi_connection: Any) -> None:
    """After a message to asyncpg that ended the transaction with a ``COMMIT`` of its own (the
    audit chain's one-message commit): SQLAlchemy's asyncpg adapter and asyncpg both still hold
    the transaction as open, and SQLAlchemy's commit would send a ``COMMIT`` of its own: a round
    trip, and ``WARNING: there is no transaction in progress`` in PostgreSQL's log for every
    audited request. Both forget it, so that SQLAlchemy's commit sends nothing.

    These are private attributes of both libraries (``_transaction``, ``_top_xact``); they are
    changed only when both are there and name the same transaction, else the ``COMMIT`` is
    sent as before. ``tests/test_db.py`` checks that no warning is logged and that the next
    transaction on the connection is a real one."""
    transaction = getattr(dbapi_connection, "_transaction", None)
    driver: Any = getattr(dbapi_connection, "driver_connection", None)
    if transaction is not None and getattr(driver, "_top_xact", None) is transaction:
        dbapi_connection._transaction = None
        driver._top_xact = None


_PLAN_EACH_EXECUTION = text("SET LOCAL plan_cache_mode = force_custom_plan")


async def plan_each_execution(session: AsyncSession) -> None:
    """PostgreSQL plans the rest of this transaction's statements for their actual parameters,
    at every execution (decisions 0013, 0016). For the report-like queries (reports, the due
    list, bulk scheduling's choice of people): a generic plan, which PostgreSQL may keep for a
    prepared statement from its sixth execution, misjudges their date ranges and scopes
    (1.7-2.7x slower reports, bench/reports.py). Not for every statement: planning the
    booking's statements again at each execution was a third of PostgreSQL's CPU per booking."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_PLAN_EACH_EXECUTION)


async def commit_durably(session: AsyncSession) -> None:
    """Commit, and return only once the commit is on disk.

    A transaction that chained audit events on PostgreSQL committed with
    ``synchronous_commit = off`` so as not to hold the chain lock through a WAL flush (several
    ms here, once per audited request, one request at a time). It is made durable here, after
    the lock is released: a transaction that writes a commit record with the default
    ``synchronous_commit`` flushes the WAL up to that record, which includes every earlier
    commit record, ours too. Concurrent requests' flushes are shared (group commit)."""
    info = session.sync_session.info
    info[FLUSH_AFTER_COMMIT_ALLOWED] = True
    try:
        await session.commit()
    finally:
        info.pop(FLUSH_AFTER_COMMIT_ALLOWED, None)
    if info.pop(FLUSH_DUE, False):
        # One statement outside any transaction (the driver's own autocommit; SQLAlchemy's
        # asyncpg adapter sends BEGIN only before its first statement): a commit record of its
        # own, and so a synchronous WAL flush.
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        with driver_errors(DURABLE_FLUSH_SQL, driver):
            await driver.fetchval(DURABLE_FLUSH_SQL)


_SQLITE_WRITERS: "weakref.WeakKeyDictionary[Any, asyncio.Lock]" = weakref.WeakKeyDictionary()


def _sqlite_writer(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AbstractAsyncContextManager[Any]:
    """On SQLite, the write sessions of one process take their turn on an asyncio lock.

    SQLite has one writer at a time: a write session holds its write lock (BEGIN IMMEDIATE)
    from start to commit, and the others waited in SQLite's busy handler, which sleeps (1, 2,
    5 ... 100 ms) and retries. Under concurrent requests that sleeping, not the work, set the
    pace: a p99 of 2 s for an audited read at 32 connections. In turn on a lock, the next
    writer starts the moment the last one commits. Another process (a second worker, the CLI)
    still meets the busy handler. PostgreSQL: no lock (its writers run concurrently).
    """
    bind = sessionmaker.kw.get("bind")
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind  # the tests bind one
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return nullcontext()
    key = engine.sync_engine
    lock = _SQLITE_WRITERS.get(key)
    if lock is None:
        lock = _SQLITE_WRITERS[key] = asyncio.Lock()
    return lock


async def _write_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with _sqlite_writer(sessionmaker), sessionmaker() as session:
        await session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        # Runs after the endpoint (and its response serialisation), before the response is sent.
        await commit_durably(session)


ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]
