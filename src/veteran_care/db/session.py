"""The request's transaction (decision 0002): services flush; the dependency commits after the
endpoint returns and *before* the response is sent (``scope="function"``): a 2xx is durable."""

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
    """On SQLite a process's writers take turns on an asyncio lock (decision 0016): the next
    starts the moment the last commits, where SQLite's busy handler sleeps (p99 2 s at 32)."""
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
    """A write session (SQLite's lock taken at once), committed unless the block raises."""
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
    """PostgreSQL plans the rest of the transaction for the actual parameters (decisions 0013,
    0016): report queries, whose ranges a generic plan misjudges (1.7-2.7x, bench/reports.py)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_PLAN_EACH_EXECUTION)
