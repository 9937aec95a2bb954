"""A sessionmaker that plays a script, for the audit's background work (sealer, checkpoints)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Step = Literal["fail", "real"]


class ScriptedSessions:
    """Each call plays the next step: "fail" raises, "real" opens a real session. Once the
    script is played, a session never opens and ``played`` is set: a task can then be stopped
    while it waits, not mid-query on the tests' shared connection."""

    def __init__(self, real: async_sessionmaker[AsyncSession], *script: Step) -> None:
        self.real, self.kw = real, real.kw  # write_session reads the bind from kw
        self.script = list(script)
        self.played = asyncio.Event()

    def __call__(self) -> Any:
        if not self.script:
            self.played.set()
            return self._never()
        if self.script.pop(0) == "fail":
            raise ConnectionError("the database is away")
        return self.real()

    @contextlib.asynccontextmanager
    async def _never(self) -> AsyncIterator[AsyncSession]:
        await asyncio.Event().wait()
        yield self.real()


class WatchedSessions:
    """Real sessions; ``closed`` is set when the first one closes (a round of work is over)."""

    def __init__(self, real: async_sessionmaker[AsyncSession]) -> None:
        self.real, self.kw = real, real.kw
        self.closed = asyncio.Event()

    def __call__(self) -> Any:
        return self._session()

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        async with self.real() as session:
            yield session
        self.closed.set()
