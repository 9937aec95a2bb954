"""The days on which sessions are not held: Vietnam's public holidays and a facility's own
closed days.

The holidays come from the ``holidays`` library (Tết and the Hùng Kings' day follow the lunar
calendar; the days off in lieu and the Government's yearly Tết bridge days are in its data),
named in Vietnamese. A facility's own closed days are kept in ``facility_closed_days``.
"""

import uuid
from datetime import date
from functools import lru_cache

import holidays
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import Conflict, NotFound
from veteran_care.facilities import service as facilities
from veteran_care.kit.i18n import Message
from veteran_care.models import FacilityClosedDay, Session, SessionStatus

PUBLIC_HOLIDAY = "public-holiday"
FACILITY_CLOSED = "facility"


class DayHasSessions(Conflict):
    code = "day-has-sessions"


class NotClosed(NotFound):
    pass


@lru_cache(maxsize=32)
def _holidays_of(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("VN", years=year, language="vi").items())


def public_holidays(first: date, last: date) -> dict[date, str]:
    """Vietnam's public holidays from ``first`` to ``last``, with their Vietnamese names."""
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        found |= {day: name for day, name in _holidays_of(year).items() if first <= day <= last}
    return found


async def closed_days(
    session: AsyncSession, facility_id: uuid.UUID, first: date, last: date
) -> dict[date, tuple[str, str]]:
    """Day -> (kind, reason) for the days a facility holds no sessions; its own reason wins."""
    own = await session.scalars(
        select(FacilityClosedDay).where(
            FacilityClosedDay.facility_id == facility_id,
            FacilityClosedDay.date.between(first, last),
        )
    )
    days = {day: (PUBLIC_HOLIDAY, name) for day, name in public_holidays(first, last).items()}
    return days | {row.date: (FACILITY_CLOSED, row.reason) for row in own}


async def close_day(
    session: AsyncSession, actor: Actor, facility_id: uuid.UUID, day: date, reason: str
) -> bool:
    """Close a facility's day (True when it was open); refused while open sessions are held
    on it: cancel them first, so that nobody booked is forgotten."""
    await facilities.get(session, facility_id, actor)
    held = await session.scalar(
        select(Session.id)
        .where(Session.facility_id == facility_id, Session.date == day)
        .where(Session.status == SessionStatus.open)
        .limit(1)
    )
    if held is not None:
        raise DayHasSessions(
            Message(
                "{day} has open sessions at this facility: cancel them first (cancelling a "
                "session lists the people to tell).",
                day=f"{day:%d/%m/%Y}",
            )
        )
    found = await session.get(FacilityClosedDay, (facility_id, day))
    if found is not None:
        found.reason = reason
    else:
        session.add(FacilityClosedDay(facility_id=facility_id, date=day, reason=reason))
    await session.flush()
    await audit.record(
        session,
        actor,
        "update" if found else "create",
        resource_type="facility_closed_day",
        resource_id=facility_id,
        detail=f"{day.isoformat()}: {reason}",
    )
    return found is None


async def reopen_day(
    session: AsyncSession, actor: Actor, facility_id: uuid.UUID, day: date
) -> bool:
    """Open a facility's closed day again (False when it was not closed)."""
    await facilities.get(session, facility_id, actor)
    result = await session.execute(
        delete(FacilityClosedDay).where(
            FacilityClosedDay.facility_id == facility_id, FacilityClosedDay.date == day
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await audit.record(
        session,
        actor,
        "delete",
        resource_type="facility_closed_day",
        resource_id=facility_id,
        detail=day.isoformat(),
    )
    return True
