"""Reports off the primary (decision 0056): a deployment may send reports and exports to a
PostgreSQL read replica (``VETERAN_CARE_REPORT_DATABASE_URL``).

A report's session reads the replica; its audit event (every pull is an export) still goes to
the primary, in the same session: the audit table is bound to the primary's engine, every other
statement to the replica's. Before the report, one statement asks the replica how old its data
is. A standby whose WAL receiver is streaming and has replayed all it received is current, however
long the primary has been idle; otherwise its data is as of the last transaction it replayed.
When that is older than ``VETERAN_CARE_REPORT_REPLICA_MAX_LAG_SECONDS``, or the replica cannot be
reached, or it fails in the middle of the report, ``VETERAN_CARE_REPORT_REPLICA_WHEN_BEHIND``
decides: ``label``, the report says how old its data is (``data_as_of``, the header
``X-Data-As-Of`` and a line of the file's title block), and an unreachable replica is a 503
``replica-unavailable`` (the primary never takes the reports' load); ``primary``, the report is
read from the primary instead.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Request, Response
from sqlalchemy import event, exc, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.db.errors import sqlstate
from veteran_care.db.session import write_session
from veteran_care.errors import DomainError, Message
from veteran_care.models import AuditEvent

logger = logging.getLogger(__name__)

T = TypeVar("T")
AS_OF_HEADER = "X-Data-As-Of"
# SQLSTATE classes of a replica that cannot answer: connection (08), a conflict with recovery
# (40001), resources (53), the server shutting down (57).
UNAVAILABLE_STATES = ("08", "40", "53", "57")

# Current when not a standby (promoted), or streaming with everything received replayed;
# else the commit time of the last transaction replayed (NULL: none since the standby started).
DATA_AS_OF = text(
    """
    SELECT CASE
      WHEN NOT pg_is_in_recovery() THEN now()
      WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
           AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN now()
      ELSE pg_last_xact_replay_timestamp()
    END AS data_as_of, now() AS now
    """
)


class ReplicaUnavailable(DomainError):
    """The replica is down or too far behind, and reports must not fall back to the primary."""

    status = 503
    code = "replica-unavailable"

    def __init__(self) -> None:
        super().__init__(
            Message("The reports' copy of the database is unavailable or too far behind."),
            headers={"Retry-After": "30"},
        )


class ReplicaFailed(Exception):
    """The replica could not be reached, or stopped answering in the middle of a report."""


class ReplicaBehind(Exception):
    """The replica's data is older than the lag allowed, or its age cannot be told."""


@dataclass(frozen=True)
class Replica:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    max_lag: timedelta
    fall_back: bool  # when behind or down: read the primary (else: say how old, or 503)

    def session(self, primary: AsyncEngine) -> AsyncSession:
        """Reads on the replica, the audit event's insert on the primary."""
        return AsyncSession(
            self.engine, binds={AuditEvent: primary}, expire_on_commit=False, autoflush=False
        )

    async def data_as_of(self, session: AsyncSession) -> datetime | None:
        """None when current (within the lag allowed); else the time its data is complete to."""
        row = (await session.execute(DATA_AS_OF)).one()
        if row.data_as_of is None:
            raise ReplicaBehind("the replica has replayed no transaction since it started")
        if row.now - row.data_as_of <= self.max_lag:
            return None
        return row.data_as_of  # type: ignore[no-any-return]


def _translate_failures(context: ExceptionContext) -> None:
    """An error of the replica's engine that says it cannot answer becomes ReplicaFailed (the
    report's other errors stay what they are)."""
    error = context.sqlalchemy_exception
    if not isinstance(error, exc.DBAPIError):
        return
    unreachable = isinstance(error, exc.OperationalError | exc.InterfaceError)
    if context.is_disconnect or unreachable or sqlstate(error).startswith(UNAVAILABLE_STATES):
        raise ReplicaFailed(type(context.original_exception).__name__)


def open_replica(settings: Settings) -> Replica | None:
    url = settings.report_database_url
    if not url:
        return None
    if not url.startswith("postgresql"):
        raise ValueError("VETERAN_CARE_REPORT_DATABASE_URL must be a PostgreSQL replica's URL")
    engine = create_engine(settings, url)
    event.listen(engine.sync_engine, "handle_error", _translate_failures)
    return Replica(
        engine,
        create_sessionmaker(engine),
        timedelta(seconds=settings.report_replica_max_lag_seconds),
        settings.report_replica_when_behind == "primary",
    )


@asynccontextmanager
async def serving(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """The app's replica for its lifetime (``app.state.report_replica``; None: none set)."""
    app.state.report_replica = replica = open_replica(settings)
    try:
        yield
    finally:
        if replica is not None:
            await replica.engine.dispose()


class Reports:
    """Where a report request reads: the replica, or the primary. ``sessionmaker`` is the
    chosen side's (a CSV stream reads through it after the report's transaction)."""

    def __init__(self, request: Request, response: Response) -> None:
        self.app = request.app
        self.response = response
        self.sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        self.headers: dict[str, str] = {}

    async def run(self, make: Callable[[AsyncSession, datetime | None], Awaitable[T]]) -> T:
        """``make(session, data_as_of)`` on the replica if there is one, committed before the
        response is sent; on the primary when there is none or it fell back."""
        replica: Replica | None = getattr(self.app.state, "report_replica", None)
        if replica is None:
            return await self._on_primary(make)
        try:
            return await self._on_replica(replica, make)
        except (ReplicaFailed, ReplicaBehind) as problem:
            if not replica.fall_back:
                raise ReplicaUnavailable() from problem
            logger.warning("report read from the primary: %s", type(problem).__name__)
            return await self._on_primary(make)

    async def _on_primary(self, make: Callable[[AsyncSession, datetime | None], Awaitable[T]]) -> T:
        self.sessionmaker = self.app.state.sessionmaker
        async with write_session(self.sessionmaker) as session:
            return await make(session, None)

    async def _on_replica(
        self, replica: Replica, make: Callable[[AsyncSession, datetime | None], Awaitable[T]]
    ) -> T:
        async with replica.session(self.app.state.engine) as session:
            try:
                as_of = await replica.data_as_of(session)
            except OSError as error:  # asyncpg's connect: refused, unreachable
                raise ReplicaFailed(type(error).__name__) from error
            if as_of is not None and replica.fall_back:
                raise ReplicaBehind(f"data as of {as_of.isoformat()}")
            self.sessionmaker = replica.sessionmaker
            result = await make(session, as_of)
            await session.commit()
        if as_of is not None:
            stamp = as_of.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            self.headers[AS_OF_HEADER] = self.response.headers[AS_OF_HEADER] = stamp
        return result


ReportReader = Annotated[Reports, Depends(Reports)]
