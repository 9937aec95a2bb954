"""The request's transaction (docs/decisions/0002): services flush, the dependency commits.

The dependencies use ``scope="function"`` so that the commit runs after the endpoint returns
and *before* the response is sent: a 2xx is only ever sent for a durable write.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from veteran_care.db.engine import WRITE_OPTION

_SQLITE_WRITERS: "weakref.WeakKeyDictionary[Any, asyncio.Lock]" = weakref.WeakKeyDictionary()


def _sqlite_writer(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AbstractAsyncContextManager[Any]:
    """On SQLite, the write sessions of one process take turns on an asyncio lock (decision
    0016): SQLite has one writer at a time, and a writer that waits in SQLite's busy handler
    sleeps and retries (a p99 of 2 s at 32 connections); in turn, the next starts the moment
    the last one commits. Another process still meets the busy handler. PostgreSQL: no lock."""
    bind = sessionmaker.kw.get("bind")
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind  # the tests bind one
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return nullcontext()
    lock = _SQLITE_WRITERS.get(engine.sync_engine)
    if lock is None:
        lock = _SQLITE_WRITERS[engine.sync_engine] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session that will write: SQLite's write lock taken at its start; committed when the
    block ends without an error, rolled back otherwise."""
    async with _sqlite_writer(sessionmaker), sessionmaker() as session:
        await session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def _write_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with write_session(request.app.state.sessionmaker) as session:
        yield session  # the commit runs after the endpoint, before the response is sent


ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]

_PLAN_EACH_EXECUTION = text("SET LOCAL plan_cache_mode = force_custom_plan")


async def plan_each_execution(session: AsyncSession) -> None:
    """PostgreSQL plans the rest of this transaction's statements for their actual parameters
    (decisions 0013, 0016): for the report-like queries, whose date ranges and scopes a generic
    plan misjudges (1.7-2.7x slower, bench/reports.py); not for the booking's statements."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_PLAN_EACH_EXECUTION)
