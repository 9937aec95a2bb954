"""The statements of a single booking's seats and rows: built once, Core only.

A booking is the request staff make most, and under load its CPU is the bottleneck (decision
0015). Its statements are therefore built once, at import, with bind parameters, on the tables
rather than the mapped classes: each execution skips building the expression, computing its
cache key and the ORM's compile and load steps, and the rows are written without a unit of
work. They are the same statements as before, with the same guarantees (decision 0007): the
day's sessions are locked in id order and read after the lock, and the places are taken by one
conditional UPDATE. The booking's facts are read by ``booking_facts``; on PostgreSQL the whole
booking is one statement (``booking_at_once``), built from the pieces here.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, Uuid, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import PartOfDay, SessionStatus
from veteran_care.scheduling.booking_tables import (
    APPOINTMENTS,
    CHECKUPS,
    DAY,
    FACILITY_ID,
    HISTORY,
    SESSIONS,
    by_backend,
    on_postgresql,
    one_of,
)


@dataclass(frozen=True, slots=True)
class DaySession:
    """An open session of the booking's day, as read under its row lock."""

    id: uuid.UUID
    specialty_code: str
    part_of_day: PartOfDay
    capacity: int
    booked: int


def day_sessions(postgresql: bool, facility_id: Any = FACILITY_ID) -> Any:
    """The day's open sessions of the specialties (``codes``), in id order: the order every
    booking, cancellation and bulk chunk locks them in, so that they never deadlock."""
    return (
        select(
            SESSIONS.c.id,
            SESSIONS.c.specialty_code,
            SESSIONS.c.part_of_day,
            SESSIONS.c.capacity,
            SESSIONS.c.booked,
        )
        .where(
            SESSIONS.c.facility_id == facility_id,
            one_of(SESSIONS.c.specialty_code, "codes", String(), postgresql=postgresql),
            SESSIONS.c.date == DAY,
            SESSIONS.c.status == SessionStatus.open,
        )
        .order_by(SESSIONS.c.id)
    )


def _lock_day(postgresql: bool) -> Any:
    return day_sessions(postgresql).with_for_update()


_LOCK_DAY = by_backend(_lock_day)


async def lock_open_sessions(
    session: AsyncSession, facility_id: uuid.UUID, codes: Sequence[str], day: date
) -> list[DaySession]:
    """The day's open sessions of these specialties, locked in id order, read after the lock:
    their `booked` counts are current. SQLite renders no FOR UPDATE; its write transactions
    are serialised by BEGIN IMMEDIATE."""
    params = {"facility_id": facility_id, "codes": list(codes), "day": day}
    rows = await session.execute(_LOCK_DAY[on_postgresql(session)], params)
    return [DaySession(*row) for row in rows]


# One place more in a session that is open and not full.
TAKE_ONE = (SESSIONS.c.status == SessionStatus.open, SESSIONS.c.booked < SESSIONS.c.capacity)
ONE_MORE = {
    "booked": SESSIONS.c.booked + 1,
    "version": SESSIONS.c.version + 1,
    "updated_at": bindparam("now"),
}


def _take_one_each(postgresql: bool) -> Any:
    return (
        update(SESSIONS)
        .where(one_of(SESSIONS.c.id, "ids", Uuid(), postgresql=postgresql), *TAKE_ONE)
        .values(ONE_MORE)
        .returning(SESSIONS.c.id)
    )


_TAKE_ONE_EACH = by_backend(_take_one_each)


async def take_seat_in_each(
    session: AsyncSession, session_ids: Sequence[uuid.UUID], now: datetime
) -> set[uuid.UUID]:
    """One place in each of these sessions, where open and not full: one atomic statement.
    Returns the sessions where a place was taken."""
    statement = _TAKE_ONE_EACH[on_postgresql(session)]
    result = await session.execute(statement, {"ids": list(session_ids), "now": now})
    return set(result.scalars())


_INSERT_CHECKUP = insert(CHECKUPS)
_INSERT_APPOINTMENT = insert(APPOINTMENTS)
_INSERT_HISTORY = insert(HISTORY)

# What differs between the appointments of one checkup (and so between their history rows):
# the rest of their columns is the same for all of them.
PER_APPOINTMENT = ("id", "session_id", "specialty_code", "rescheduled_from_id")


async def insert_checkup(
    session: AsyncSession,
    checkup: Mapping[str, Any],
    appointments: Sequence[Mapping[str, Any]],
    history: Sequence[Mapping[str, Any]],
) -> None:
    """SQLite: the checkup, its appointments and their first history rows (columns by name,
    every column given), in that order: each references the one before."""
    await session.execute(_INSERT_CHECKUP, checkup)
    await session.execute(_INSERT_APPOINTMENT, appointments)
    await session.execute(_INSERT_HISTORY, history)
