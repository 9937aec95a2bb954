"""Where a booking finds its places: open days with room, and one seat taken per specialty.

The days on which every specialty of a booking has an open session with places left (what
availability answers, and the next dates a refusal offers); the 409 that says why a specialty
has no place on the day asked; and, on SQLite, the taking of one seat per specialty, all or
nothing, under the day's row locks (decision 0007). On PostgreSQL the seats are taken by the
booking's one statement instead (``booking_at_once``).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.errors import Conflict
from veteran_care.kit.clock import add_days, today, utcnow
from veteran_care.kit.i18n import Message
from veteran_care.models import PartOfDay, Session
from veteran_care.scheduling import booking_repository, repository
from veteran_care.scheduling.schemas import AvailableDay, AvailableSession

NEXT_DATES = 5
SEARCH_DAYS = 90


def available_days(sessions: Sequence[Session], codes: Sequence[str]) -> list[AvailableDay]:
    by_day: dict[date, list[Session]] = defaultdict(list)
    for found in sessions:
        if found.booked < found.capacity:
            by_day[found.date].append(found)
    days = []
    for day in sorted(by_day):
        if {s.specialty_code for s in by_day[day]} >= set(codes):
            days.append(
                AvailableDay(
                    date=day,
                    sessions=[
                        AvailableSession(
                            session_id=s.id,
                            specialty_code=s.specialty_code,
                            part_of_day=s.part_of_day,
                            capacity=s.capacity,
                            booked=s.booked,
                            places_left=s.capacity - s.booked,
                        )
                        for s in by_day[day]
                    ],
                )
            )
    return days


async def next_dates(
    session: AsyncSession, facility_id: uuid.UUID, codes: Sequence[str], asked: date
) -> list[date]:
    """The NEXT_DATES dates nearest to ``asked`` (before or after it, never before today)
    on which every specialty has a place, in date order: today and tomorrow are offered when
    they have room, whatever day was asked."""
    start = max(add_days(asked, -SEARCH_DAYS), today())
    end = add_days(max(asked, today()), SEARCH_DAYS)
    found = await repository.open_sessions(
        session, facility_id, codes, start, end, with_places=True
    )
    days = [day.date for day in available_days(found, codes) if day.date != asked]
    nearest = sorted(days, key=lambda d: (abs(d.toordinal() - asked.toordinal()), d))
    return sorted(nearest[:NEXT_DATES])


async def no_place(
    session: AsyncSession,
    facility_id: uuid.UUID,
    codes: Sequence[str],
    day: date,
    code: str,
    *,
    no_session: bool,
) -> Conflict:
    dates = await next_dates(session, facility_id, codes, day)
    if no_session:
        detail = Message(
            "There is no open {code} session at this facility on {day}.", code=code, day=day
        )
    else:
        detail = Message("The {code} sessions on {day} are full.", code=code, day=day)
    return Conflict(
        detail,
        code="no-session" if no_session else "session-full",
        specialty_code=code,
        next_available_dates=[d.isoformat() for d in dates],
    )


async def refusal(
    session: AsyncSession, facility_id: uuid.UUID, codes: Sequence[str], day: date, code: str
) -> Conflict:
    """Why ``code`` has no place on ``day``: no open session, or full ones."""
    sessions = await repository.open_sessions(
        session, facility_id, [code], day, day, with_places=False
    )
    return await no_place(session, facility_id, codes, day, code, no_session=not sessions)


async def take_places(
    session: AsyncSession,
    facility_id: uuid.UUID,
    codes: Sequence[str],
    day: date,
    preferred: PartOfDay | None,
) -> dict[str, uuid.UUID]:
    """One seat per specialty, all or nothing (the caller's transaction rolls back on error):
    the session taken for each specialty code.

    The day's candidate sessions are locked in id order and read after the lock, so their
    counts are current; the places are then taken by one conditional UPDATE, which stays the
    guarantee: a session that is full by then is never overbooked, the booking fails instead."""
    found = await booking_repository.lock_open_sessions(session, facility_id, codes, day)
    chosen: dict[str, uuid.UUID] = {}
    for code in codes:
        candidates = [s for s in found if s.specialty_code == code]
        if not candidates:
            raise await no_place(session, facility_id, codes, day, code, no_session=True)
        candidates.sort(key=lambda s: (s.part_of_day != preferred, s.part_of_day.value))
        with_place = next((s for s in candidates if s.booked < s.capacity), None)
        if with_place is None:
            raise await no_place(session, facility_id, codes, day, code, no_session=False)
        chosen[code] = with_place.id
    taken = await booking_repository.take_seat_in_each(session, list(chosen.values()), utcnow())
    for code, session_id in chosen.items():
        if session_id not in taken:
            raise await no_place(session, facility_id, codes, day, code, no_session=False)
    return chosen
