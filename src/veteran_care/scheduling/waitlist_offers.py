"""A freed place goes to the first in a waitlist's line, held for them for a while (decision
0050).

A held place stays counted in its session's ``booked``: when an appointment frees its seat,
the seat is handed to the first person waiting for that session's specialty, facility and
day, in the same transaction, instead of being given back; nobody else can take it meanwhile.
The person is told (a ``waitlist_offer`` message). When the hold runs out, the place passes
to the next in line, or back to the session when nobody waits. On PostgreSQL the first in
line is chosen ``FOR UPDATE SKIP LOCKED``: two places freed at once go to two people, never
both to one; SQLite's write transactions take turns.
"""

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.config import get_settings
from veteran_care.db.engine import WRITE_OPTION
from veteran_care.kit.clock import today, utcnow
from veteran_care.messaging import outbox
from veteran_care.models import (
    ACTIVE,
    Appointment,
    Session,
    SessionStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from veteran_care.scheduling import repository

logger = logging.getLogger("veteran_care.waitlist")
SWEEP_BATCH = 100


def hold_time() -> timedelta:
    return timedelta(minutes=get_settings().waitlist_hold_minutes)


def _first_in_line(session_id: uuid.UUID) -> Select[uuid.UUID, uuid.UUID]:
    """The first person waiting for a place in this session (open, today or later), who has
    no active appointment in its specialty that day; locked, skipping those locked already."""
    entry, place = WaitlistEntry, Session
    booked_already = exists().where(
        Appointment.beneficiary_id == entry.beneficiary_id,
        Appointment.date == place.date,
        Appointment.specialty_code == place.specialty_code,
        Appointment.status.in_(list(ACTIVE)),
    )
    return (
        select(entry.id, entry.beneficiary_id)
        .join(
            place,
            and_(
                place.id == session_id,
                place.facility_id == entry.facility_id,
                place.specialty_code == entry.specialty_code,
                place.date.between(entry.date_from, entry.date_to),
            ),
        )
        .where(
            entry.status == WaitlistStatus.waiting,
            place.status == SessionStatus.open,
            place.date >= today(),
            ~booked_already,
        )
        .order_by(entry.created_at, entry.id)
        .limit(1)
        .with_for_update(of=entry, skip_locked=True)
    )


async def offer_to_next(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> bool:
    """Hold a place of this session (already taken, counted in ``booked``) for the first in
    line and tell them; False when nobody waits for it."""
    found = (await session.execute(_first_in_line(session_id))).first()
    if found is None:
        return False
    entry_id, beneficiary_id = found[0], found[1]
    await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.waiting)
        .values(
            status=WaitlistStatus.offered,
            offered_session_id=session_id,
            hold_until=now + hold_time(),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    await outbox.enqueue_offers(session, [(entry_id, beneficiary_id)])
    return True


async def free_seat(session: AsyncSession, session_id: uuid.UUID) -> None:
    """A seat of this session is no longer used: held for the first in line, or given back."""
    if not await offer_to_next(session, session_id, utcnow()):
        await repository.release_seats(session, session_id)


async def offer_free_places(session: AsyncSession, session_id: uuid.UUID) -> int:
    """Places the session has free (its capacity raised) offered to those waiting, one seat
    taken for each by the conditional UPDATE of a booking; answers how many were offered."""
    offered = 0
    now = utcnow()
    while (await session.execute(_first_in_line(session_id))).first() is not None:
        if not await repository.take_seats(session, session_id):
            break
        if not await offer_to_next(session, session_id, now):  # pragma: no cover (locked above)
            await repository.release_seats(session, session_id)
            break
        offered += 1
    return offered


async def expire_holds(session: AsyncSession, now: datetime | None = None) -> int:
    """Holds whose time has run out lapse, and their places pass on (to the next in line, or
    back to the session). Answers how many lapsed."""
    now = now or utcnow()
    lapsed = (
        await session.execute(
            select(WaitlistEntry.id, WaitlistEntry.offered_session_id)
            .where(
                WaitlistEntry.status == WaitlistStatus.offered,
                WaitlistEntry.hold_until <= now,
            )
            .order_by(WaitlistEntry.hold_until, WaitlistEntry.id)
            .limit(SWEEP_BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not lapsed:
        return 0
    await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id.in_([row[0] for row in lapsed]))
        .values(status=WaitlistStatus.lapsed, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await pass_on(session, [row[1] for row in lapsed])
    return len(lapsed)


async def pass_on(session: AsyncSession, session_ids: Sequence[uuid.UUID | None]) -> None:
    """The places held in these sessions (one per item) pass to the next in line."""
    for session_id in sorted((s for s in session_ids if s is not None), key=str):
        await free_seat(session, session_id)


async def keep_sweeping(
    sessionmaker: async_sessionmaker[AsyncSession], every_seconds: float
) -> None:
    """The server's background sweep: lapsed holds passed on about every ``every_seconds``
    (each waitlist call sweeps too, so a stopped sweeper only delays the next offer)."""
    while True:
        try:
            async with sessionmaker.begin() as session:
                await session.connection(execution_options={WRITE_OPTION: True})
                await expire_holds(session)
        except Exception:
            logger.exception("the waitlist sweep failed")
        await asyncio.sleep(every_seconds)
