"""Closing a booked day or session in one call: everyone booked is moved to the next day with
places, or cancelled, and told (decision 0051).

One transaction: the sessions are locked and marked cancelled first (a place they free is
offered to nobody on a waitlist), then each checkup booked in them is moved by the reschedule
of ``booking`` (the rescheduled notice with the new day) inside a savepoint, so that a person
whose move is refused (their card, another booking that day) is rolled back alone and tried
on the next day; a person who cannot be moved is cancelled (the cancellation notice of a
cancelled session) or left booked, as the caller chose. Their session is then closed to new
bookings instead of cancelled.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import repository as beneficiaries
from veteran_care.errors import Conflict, DomainError
from veteran_care.facilities import service as facilities
from veteran_care.kit.clock import add_days, today
from veteran_care.messaging import outbox
from veteran_care.models import (
    AppointmentStatus,
    CancelledBy,
    MessageKind,
    PartOfDay,
    Session,
    SessionStatus,
)
from veteran_care.scheduling import booking, calendar, repository, sessions
from veteran_care.scheduling.booking_places import SEARCH_DAYS, available_days
from veteran_care.scheduling.closing_schemas import (
    Bookings,
    ClosedSession,
    Closure,
    DayClosed,
    PersonMoved,
    PersonNotMoved,
    PersonToCall,
    Unmovable,
)
from veteran_care.scheduling.lifecycle import change_status, refresh_checkups

# Days tried for one person before they are reported as not moved (a refusal on one day, such
# as a card that ends, may not hold on the next).
TRIES = 3
ACTIVE_HERE = (AppointmentStatus.booked, AppointmentStatus.checked_in)


@dataclass(frozen=True)
class _Booked:
    """An appointment in a closed session, as read before anything changed (a savepoint rolled
    back expires the ORM objects it touched)."""

    id: uuid.UUID
    checkup_id: uuid.UUID
    beneficiary_id: uuid.UUID
    session_id: uuid.UUID
    facility_id: uuid.UUID
    date: date
    status: AppointmentStatus
    booked_at: datetime


@dataclass(frozen=True)
class _Place:
    id: uuid.UUID
    specialty_code: str
    part_of_day: PartOfDay


@dataclass
class _Work:
    reason: str
    unmovable: Unmovable
    closure: Closure = field(default_factory=Closure)
    left_in: set[uuid.UUID] = field(default_factory=set)
    told: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)


async def next_days(
    session: AsyncSession, facility_id: uuid.UUID, codes: Sequence[str], after: date
) -> list[date]:
    """The days after ``after`` (today at the earliest) on which each specialty has a place,
    without the public holidays and the facility's closed days, nearest first."""
    first = max(add_days(after, 1), today())
    last = add_days(first, SEARCH_DAYS)
    found = await repository.open_sessions(
        session, facility_id, codes, first, last, with_places=True
    )
    closed = await calendar.closed_days(session, facility_id, first, last)
    return [d.date for d in available_days(found, codes) if d.date not in closed]


async def close_sessions(
    session: AsyncSession,
    actor: Actor,
    found: Sequence[Session],
    reason: str,
    bookings: Bookings,
    unmovable: Unmovable,
) -> Closure:
    """Cancel these sessions (of one facility) and move or cancel everyone booked in them."""
    places = [_Place(s.id, s.specialty_code, s.part_of_day) for s in found]
    await repository.lock_sessions(session, [p.id for p in places])
    for one in places:
        await repository.set_session_status(session, one.id, SessionStatus.cancelled, reason)
    work = _Work(reason, Unmovable.cancel if bookings == Bookings.cancel else unmovable)
    by_checkup = await _booked_in(session, places)
    for appointments in by_checkup:  # first booked, first moved (to the nearest day)
        moved = bookings == Bookings.move and await _move(session, actor, appointments, work)
        if not moved and work.unmovable == Unmovable.cancel:
            await _cancel(session, actor, appointments, work)
    await _settle_sessions(session, places, work)
    await refresh_checkups(session, set(work.told))
    await outbox.enqueue(session, MessageKind.session_cancelled, sorted(work.told.items()))
    for one in places:
        await audit.record(
            session,
            actor,
            "status_change",
            resource_type="session",
            resource_id=one.id,
            changed_fields=["status"],
            detail=f"closed with its bookings ({bookings.value})",
        )
    return work.closure


async def _booked_in(session: AsyncSession, places: Sequence[_Place]) -> list[list[_Booked]]:
    """The appointments active in these sessions, by checkup, the first booked first."""
    by_checkup: dict[uuid.UUID, list[_Booked]] = defaultdict(list)
    for one in places:
        for a in await repository.appointments_of_session(session, one.id, ACTIVE_HERE):
            by_checkup[a.checkup_id].append(
                _Booked(
                    a.id,
                    a.checkup_id,
                    a.beneficiary_id,
                    a.session_id,
                    a.facility_id,
                    a.date,
                    a.status,
                    a.created_at,
                )
            )
    return sorted(by_checkup.values(), key=lambda b: (min(a.booked_at for a in b), b[0].checkup_id))


async def _settle_sessions(session: AsyncSession, places: Sequence[_Place], work: _Work) -> None:
    """A session where someone was left booked is closed to new bookings, not cancelled."""
    for one in places:
        left = one.id in work.left_in
        if left:
            await repository.set_session_status(session, one.id, SessionStatus.closed, work.reason)
        work.closure.sessions.append(
            ClosedSession(
                session_id=one.id,
                specialty_code=one.specialty_code,
                part_of_day=one.part_of_day,
                status=SessionStatus.closed if left else SessionStatus.cancelled,
            )
        )


async def _person(session: AsyncSession, beneficiary_id: uuid.UUID) -> tuple[str, str | None]:
    person = await beneficiaries.get(session, beneficiary_id)
    assert person is not None
    return person.full_name, person.phone


async def _move(
    session: AsyncSession, actor: Actor, appointments: list[_Booked], work: _Work
) -> bool:
    """Move the checkup to the next day that takes it; False (reported) when none does."""
    first = appointments[0]
    name, phone = await _person(session, first.beneficiary_id)
    why = "no-day-with-places"
    if any(a.status != AppointmentStatus.booked for a in appointments):
        why = "checked-in"
    else:
        checkup = await repository.get_checkup(session, first.checkup_id)
        assert checkup is not None
        codes = [
            a.specialty_code for a in checkup.appointments if a.status == AppointmentStatus.booked
        ]
        days = await next_days(session, first.facility_id, codes, first.date)
        for day in days[:TRIES]:
            try:
                async with session.begin_nested():
                    new = await booking.reschedule(
                        session,
                        actor,
                        first.checkup_id,
                        day,
                        None,
                        CancelledBy.facility,
                        work.reason,
                    )
            except DomainError as refused:
                why = refused.code
                continue
            work.closure.moved.append(
                PersonMoved(
                    checkup_id=first.checkup_id,
                    new_checkup_id=new.id,
                    new_date=day,
                    beneficiary_id=first.beneficiary_id,
                    full_name=name,
                    phone=phone,
                )
            )
            return True
    cancelled = work.unmovable == Unmovable.cancel
    if not cancelled:
        work.left_in.update(a.session_id for a in appointments)
    work.closure.not_moved.append(
        PersonNotMoved(
            checkup_id=first.checkup_id,
            beneficiary_id=first.beneficiary_id,
            full_name=name,
            phone=phone,
            reason=why,
            cancelled=cancelled,
        )
    )
    return False


async def _cancel(
    session: AsyncSession, actor: Actor, appointments: list[_Booked], work: _Work
) -> None:
    """Cancel the checkup's appointments in the closed sessions (by the facility)."""
    for appointment in appointments:
        fresh = await repository.get_appointment(session, appointment.id)
        assert fresh is not None
        await change_status(
            session,
            actor,
            fresh,
            AppointmentStatus.cancelled,
            work.reason,
            cancelled_by=CancelledBy.facility,
        )
        name, phone = await _person(session, fresh.beneficiary_id)
        work.closure.cancelled.append(
            PersonToCall(
                appointment_id=fresh.id,
                checkup_id=fresh.checkup_id,
                beneficiary_id=fresh.beneficiary_id,
                full_name=name,
                phone=phone,
            )
        )
        work.told[fresh.checkup_id] = fresh.beneficiary_id


async def close_session(
    session: AsyncSession,
    actor: Actor,
    session_id: uuid.UUID,
    reason: str,
    bookings: Bookings,
    unmovable: Unmovable,
) -> Closure:
    """Cancel one session and move or cancel everyone booked in it."""
    found = await sessions.get_session(session, actor, session_id)
    if found.status == SessionStatus.cancelled:
        raise Conflict("The session is cancelled already.", code="session-cancelled")
    return await close_sessions(session, actor, [found], reason, bookings, unmovable)


async def close_day(
    session: AsyncSession,
    actor: Actor,
    facility_id: uuid.UUID,
    day: date,
    reason: str,
    bookings: Bookings,
    unmovable: Unmovable,
) -> DayClosed:
    """Close the facility on ``day``: its sessions closed with their bookings, then the day."""
    await facilities.get(session, facility_id, actor)
    found = (
        await session.scalars(
            select(Session)
            .where(
                Session.facility_id == facility_id,
                Session.date == day,
                Session.status != SessionStatus.cancelled,
            )
            .order_by(Session.part_of_day, Session.specialty_code)
        )
    ).all()
    closure = await close_sessions(session, actor, found, reason, bookings, unmovable)
    await calendar.close_day(session, actor, facility_id, day, reason)
    return DayClosed(date=day, reason=reason, **closure.model_dump())
