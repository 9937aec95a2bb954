"""What day it is where the province is (bookings, no-shows, due dates and reports count in
local days), and the same question asked of a stored UTC timestamp, in Python or in SQL."""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from veteran_care.config import get_settings


@lru_cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    return _zone(get_settings().timezone)


def today() -> date:
    return datetime.now(local_zone()).date()


def start_of_day(day: date) -> datetime:
    """The UTC instant a local day begins: a day's rows are ``start_of_day(d) <= t <
    start_of_day(d + 1 day)``, which an index on the timestamp serves."""
    return datetime.combine(day, time(), local_zone()).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The UTC instant the local day after ``day`` begins (an exclusive bound)."""
    return start_of_day(day + timedelta(days=1))


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
