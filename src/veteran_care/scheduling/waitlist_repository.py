"""The waitlist's statements: entries read and listed, an offer taken or left by one
conditional UPDATE each (the entry's row lock decides between an accept, a withdrawal and the
sweep of lapsed holds)."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.kit.pagination import datetime_key, fetch_page
from veteran_care.models import Session, WaitlistEntry, WaitlistStatus

SORTS = {
    "created_at": datetime_key(WaitlistEntry.created_at),
    "-created_at": datetime_key(WaitlistEntry.created_at, descending=True),
}


async def get(session: AsyncSession, entry_id: uuid.UUID) -> WaitlistEntry | None:
    return await session.get(WaitlistEntry, entry_id, populate_existing=True)


async def in_line(
    session: AsyncSession, beneficiary_id: uuid.UUID, facility_id: uuid.UUID, code: str
) -> WaitlistEntry | None:
    """The person's entry still in this line (waiting or offered), if any."""
    stmt = select(WaitlistEntry).where(
        WaitlistEntry.beneficiary_id == beneficiary_id,
        WaitlistEntry.facility_id == facility_id,
        WaitlistEntry.specialty_code == code,
        WaitlistEntry.status.in_((WaitlistStatus.waiting, WaitlistStatus.offered)),
    )
    found: WaitlistEntry | None = await session.scalar(stmt)
    return found


async def position(session: AsyncSession, entry: WaitlistEntry) -> int | None:
    """A waiting entry's place in its line (1: the next to be offered)."""
    if entry.status != WaitlistStatus.waiting:
        return None
    ahead = await session.scalar(
        select(func.count()).where(
            WaitlistEntry.facility_id == entry.facility_id,
            WaitlistEntry.specialty_code == entry.specialty_code,
            WaitlistEntry.status == WaitlistStatus.waiting,
            tuple_(WaitlistEntry.created_at, WaitlistEntry.id) < (entry.created_at, entry.id),
        )
    )
    return int(ahead or 0) + 1


async def take_offer(
    session: AsyncSession, entry_id: uuid.UUID, to: WaitlistStatus, now: datetime
) -> uuid.UUID | None:
    """End an offer (as ``booked``: only while its hold lasts; as ``withdrawn``: whenever):
    the session whose place was held, or None when no place is held for the entry."""
    stmt = (
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.offered)
        .values(status=to, updated_at=now)
        .returning(WaitlistEntry.offered_session_id)
        .execution_options(synchronize_session=False)
    )
    if to == WaitlistStatus.booked:
        stmt = stmt.where(WaitlistEntry.hold_until > now)
    found: uuid.UUID | None = (await session.execute(stmt)).scalar_one_or_none()
    return found


async def leave_line(session: AsyncSession, entry_id: uuid.UUID, now: datetime) -> bool:
    """A waiting entry withdrawn; False when it was not waiting."""
    stmt = (
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.waiting)
        .values(status=WaitlistStatus.withdrawn, updated_at=now)
        .returning(WaitlistEntry.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


async def lock_day(session: AsyncSession, facility_id: uuid.UUID, code: str, day: date) -> None:
    """Lock the day's sessions of a specialty in id order, as a booking does (PostgreSQL): a
    booking from an offer gives its held seat back and takes one again by the booking's own
    statement, and two of them on one day must not wait on each other in opposite orders."""
    await session.execute(
        select(Session.id)
        .where(
            Session.facility_id == facility_id,
            Session.specialty_code == code,
            Session.date == day,
        )
        .order_by(Session.id)
        .with_for_update()
    )


async def set_checkup(
    session: AsyncSession, entry_id: uuid.UUID, checkup_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id)
        .values(checkup_id=checkup_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def list_entries(
    session: AsyncSession,
    *,
    scope: frozenset[uuid.UUID] | None,
    filters: dict[str, Any],
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[WaitlistEntry], str | None]:
    stmt = select(WaitlistEntry)
    if scope is not None:
        stmt = stmt.where(WaitlistEntry.facility_id.in_(scope))
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(WaitlistEntry, name) == value)
    return await fetch_page(
        session,
        stmt,
        id_column=WaitlistEntry.id,
        sort=sort,
        key=SORTS[sort],
        cursor=cursor,
        limit=limit,
    )
