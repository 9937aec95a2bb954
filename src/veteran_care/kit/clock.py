"""What day it is where the province is (bookings, no-shows, due dates and reports count in
local days), and the same question asked of a stored UTC timestamp, in Python or in SQL.

Every date an API takes, from 0001-01-01 to 9999-12-31, has a first and a last instant here:
the instants a ``datetime`` cannot hold (before 0001-01-01 00:00 UTC, after 9999-12-31
23:59:59.999999 UTC) are clamped to the first or last one it can, never an ``OverflowError``.
Both are valid PostgreSQL timestamps and sort as text in SQLite.
"""

from collections.abc import Iterator
from datetime import MINYEAR, UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from veteran_care.config import get_settings


def utcnow() -> datetime:
    return datetime.now(UTC)


@lru_cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    return _zone(get_settings().timezone)


def today() -> date:
    return datetime.now(local_zone()).date()


UTC_MIN = datetime.min.replace(tzinfo=UTC)
UTC_MAX = datetime.max.replace(tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware ``moment`` in UTC, clamped to UTC_MIN..UTC_MAX: 0001-01-01 00:00 at UTC+7 is
    UTC_MIN, 9999-12-31 23:00 at UTC-5 is UTC_MAX. As a bound of a search it selects what the
    exact instant would: no stored timestamp lies beyond either end."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return UTC_MIN if moment.year == MINYEAR else UTC_MAX


def start_of_day(day: date) -> datetime:
    """The UTC instant a local day begins (UTC_MIN at the earliest): a day's rows are
    ``start_of_day(d) <= t < end_of_day(d)``, which an index on the timestamp serves."""
    return as_utc(datetime.combine(day, time(), local_zone()))


def end_of_day(day: date) -> datetime:
    """The UTC instant the local day after ``day`` begins (an exclusive bound); for the last
    date there is, UTC_MAX (which leaves out only that very instant, never a stamp of ours)."""
    if day == date.max:
        return UTC_MAX
    return start_of_day(day + timedelta(days=1))


def add_days(day: date, days: int) -> date:
    """``day`` moved by ``days``, held within 0001-01-01..9999-12-31 (a window of days that
    would run past either end stops at it)."""
    ordinal = day.toordinal() + days
    return date.fromordinal(min(max(ordinal, date.min.toordinal()), date.max.toordinal()))


def each_day(first: date, last: date) -> Iterator[date]:
    """Every date from ``first`` to ``last``, both included (never the day after ``last``,
    which 9999-12-31 does not have)."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


class _LocalTime(FunctionElement[datetime]):
    """A UTC timestamp column as the province's wall-clock time (a naive timestamp)."""

    type = DateTime()
    name = "local_time"
    inherit_cache = True


@compiles(_LocalTime, "postgresql")
def _local_time_postgresql(element: _LocalTime, compiler: SQLCompiler, **kw: Any) -> str:
    column, zone, _ = element.clauses
    return f"timezone({compiler.process(zone, **kw)}, {compiler.process(column, **kw)})"


@compiles(_LocalTime)
def _local_time_sqlite(element: _LocalTime, compiler: SQLCompiler, **kw: Any) -> str:
    column, _, modifier = element.clauses
    return f"datetime({compiler.process(column, **kw)}, {compiler.process(modifier, **kw)})"


def local_time(column: Any) -> ColumnElement[datetime]:
    """``column`` (a UTC timestamp) in local time, for grouping by local day or month.

    PostgreSQL converts with the time zone's rules. SQLite has no time zone database: it adds
    the zone's offset now, which is exact for a zone without daylight saving time, such as
    Vietnam's (UTC+7 all year).
    """
    zone = local_zone()
    offset = datetime.now(zone).utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    return _LocalTime(column, literal(zone.key), literal(f"{minutes:+d} minutes"))
