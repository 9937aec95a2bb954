"""Booking checkups into sessions, availability, and the checkup lifecycle.

A booking takes one seat per specialty with a conditional UPDATE each (in session-id order, so
two bookings never wait on each other in opposite orders); if any seat cannot be had, the whole
transaction is rolled back: all or nothing. On PostgreSQL one statement reads the booking's
facts, takes the seats and writes the rows (decisions 0016, 0019).
"""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.db import utcnow
from veteran_care.errors import Conflict, DomainError, NotFound, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.identity.principal import Actor
from veteran_care.kit.clock import today
from veteran_care.models import (
    Appointment,
    AppointmentStatus,
    BeneficiaryStatus,
    CancelledBy,
    Checkup,
    CheckupOutcome,
    CheckupStatus,
    PartOfDay,
    Session,
)
from veteran_care.scheduling import booking_repository, repository
from veteran_care.scheduling.lifecycle import change_status, history_values, refresh
from veteran_care.scheduling.schemas import (
    TRANSITION_TARGETS,
    AvailableDay,
    AvailableSession,
    CheckupCreate,
    CheckupRead,
)
from veteran_care.scheduling.sessions import ensure_not_past, ensure_specialties

NEXT_DATES = 5
SEARCH_DAYS = 90


def _available(sessions: Sequence[Session], codes: Sequence[str]) -> list[AvailableDay]:
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


async def availability(
    session: AsyncSession,
    actor: Actor,
    facility_id: uuid.UUID,
    codes: Sequence[str],
    date_from: date,
    date_to: date,
) -> list[AvailableDay]:
    """Days between the dates where every specialty has an open session with places."""
    await facilities.get(session, facility_id, actor)
    await ensure_specialties(session, list(codes), "specialty_codes")
    found = await repository.open_sessions(
        session, facility_id, codes, date_from, date_to, with_places=True
    )
    return _available(found, codes)


async def next_dates(
    session: AsyncSession, facility_id: uuid.UUID, codes: Sequence[str], after: date
) -> list[date]:
    start = max(after + timedelta(days=1), today())
    found = await repository.open_sessions(
        session, facility_id, codes, start, start + timedelta(days=SEARCH_DAYS), with_places=True
    )
    return [day.date for day in _available(found, codes)][:NEXT_DATES]


async def _full(
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
        detail = f"There is no open {code} session at this facility on {day}."
    else:
        detail = f"The {code} sessions on {day} are full."
    return Conflict(
        detail,
        code="no-session" if no_session else "session-full",
        specialty_code=code,
        next_available_dates=[d.isoformat() for d in dates],
    )


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
            raise await _full(session, facility_id, codes, day, code, no_session=True)
        candidates.sort(key=lambda s: (s.part_of_day != preferred, s.part_of_day.value))
        with_place = next((s for s in candidates if s.booked < s.capacity), None)
        if with_place is None:
            raise await _full(session, facility_id, codes, day, code, no_session=False)
        chosen[code] = with_place.id
    taken = await booking_repository.take_seat_in_each(session, list(chosen.values()), utcnow())
    for code, session_id in chosen.items():
        if session_id not in taken:
            raise await _full(session, facility_id, codes, day, code, no_session=False)
    return chosen


async def book(
    session: AsyncSession,
    actor: Actor,
    data: CheckupCreate,
    *,
    rescheduled_from: Checkup | None = None,
    predecessors: Mapping[str, uuid.UUID] | None = None,
) -> CheckupRead:
    """Book the checkup and answer what was written. ``predecessors``: for a reschedule, the
    cancelled appointment each new one follows, by specialty code."""
    principal = actor.require()
    on_the_day = today()
    now = utcnow()
    checkup_id = uuid.uuid4()
    links = predecessors or {}
    checkup: dict[str, Any] = {
        "id": checkup_id,
        "beneficiary_id": data.beneficiary_id,
        "facility_id": data.facility_id,
        "campaign_id": data.campaign_id,
        "date": data.date,
        "status": CheckupStatus.planned,
        "outcome": CheckupOutcome.pending,
        "part_of_day": data.part_of_day,
        "card_override_reason": data.card_override_reason,
        "rescheduled_from_id": rescheduled_from.id if rescheduled_from else None,
        "booked_by": principal.account_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    appointments = [
        {
            "id": uuid.uuid4(),
            "checkup_id": checkup_id,
            "beneficiary_id": data.beneficiary_id,
            "facility_id": data.facility_id,
            "specialty_code": code,
            "date": data.date,
            "status": AppointmentStatus.booked,
            "cancelled_by": None,
            "cancel_reason": None,
            "rescheduled_from_id": links.get(code),
            "rescheduled_to_id": None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for code in data.specialty_codes
    ]
    first_change = history_values(checkup_id, actor, None, AppointmentStatus.booked, None, now)
    del first_change["appointment_id"]
    postgresql = booking_repository.on_postgresql(session)
    taken: dict[str, uuid.UUID] | None = None
    if postgresql:  # the facts, the places and the rows in one statement, written if allowed
        check, taken = await booking_repository.book_at_once(
            session,
            checkup,
            appointments,
            first_change,
            data.part_of_day,
            allowed_here_and_now=principal.in_scope(data.facility_id) and data.date >= on_the_day,
            card_override=bool(data.card_override_reason),
        )
    else:
        check = await booking_repository.booking_check(
            session,
            data.facility_id,
            data.beneficiary_id,
            data.date,
            data.specialty_codes,
            data.campaign_id,
        )
    facilities.ensure_visible(data.facility_id, actor, exists=check.facility_exists)
    ensure_not_past(data.date, on_the_day)
    try:
        await _check_rules(session, data, check)
        if taken is None:  # SQLite, whose write transactions run one at a time
            taken = await take_places(
                session, data.facility_id, data.specialty_codes, data.date, data.part_of_day
            )
            _place(appointments, taken)
            history = [{**first_change, "appointment_id": a["id"]} for a in appointments]
            await booking_repository.insert_checkup(session, checkup, appointments, history)
        else:
            missing = next((c for c in data.specialty_codes if c not in taken), None)
            if missing is not None:  # the caller's transaction rolls back what was written
                raise await _refusal(
                    session, data.facility_id, data.specialty_codes, data.date, missing
                )
            _place(appointments, taken)
    except DomainError:
        # The specialty codes are checked only when the booking is refused: on success every
        # code has a session, which references its specialty. An unknown code is still the
        # error the caller sees first, as if it had been checked before everything else.
        await ensure_specialties(session, data.specialty_codes, "specialty_codes")
        raise
    await audit.record(
        session,
        actor,
        "create",
        resource_type="checkup",
        resource_id=checkup_id,
        beneficiary_id=data.beneficiary_id,
        changed_fields=sorted(data.model_fields_set),
    )
    if data.card_override_reason:
        await audit.record(
            session,
            actor,
            "card_override",
            resource_type="checkup",
            resource_id=checkup_id,
            beneficiary_id=data.beneficiary_id,
            detail="booked without a card valid on the date",
        )
    return CheckupRead.model_validate({**checkup, "appointments": appointments})


def _place(appointments: list[dict[str, Any]], taken: Mapping[str, uuid.UUID]) -> None:
    for appointment in appointments:
        appointment["session_id"] = taken[appointment["specialty_code"]]


async def _refusal(
    session: AsyncSession, facility_id: uuid.UUID, codes: Sequence[str], day: date, code: str
) -> Conflict:
    """Why ``code`` has no place on ``day``: no open session, or full ones."""
    sessions = await repository.open_sessions(
        session, facility_id, [code], day, day, with_places=False
    )
    return await _full(session, facility_id, codes, day, code, no_session=not sessions)


async def _check_rules(
    session: AsyncSession, data: CheckupCreate, facts: booking_repository.BookingCheck
) -> None:
    """The person's rules, then the campaign's, from the facts the booking read (the same as
    ``book_at_once`` applies before it writes anything)."""
    if facts.status is None:
        raise Unprocessable(
            f"beneficiary_id: there is no beneficiary {data.beneficiary_id}.",
            code="unknown-beneficiary",
            field="beneficiary_id",
        )
    if facts.status != BeneficiaryStatus.active:
        raise Conflict(
            f"The beneficiary is {facts.status.value}: no check can be booked.",
            code="beneficiary-not-active",
        )
    if data.campaign_id is not None:
        _ensure_campaign_fits(data, facts)
    if not data.card_override_reason and not facts.has_valid_card:
        raise Unprocessable(
            f"No health-insurance card of this person is valid on {data.date}; add one, or "
            "book with card_override_reason.",
            code="card-not-valid",
            field="card_override_reason",
        )
    if facts.already_booked:
        already = await repository.active_specialties_on(
            session, data.beneficiary_id, data.date, data.specialty_codes
        )
        raise Conflict(
            f"Already booked on {data.date} for {', '.join(already)}.",
            code="already-booked",
            specialty_codes=already,
        )


def _ensure_campaign_fits(data: CheckupCreate, facts: booking_repository.BookingCheck) -> None:
    if facts.campaign_starts_on is None or facts.campaign_ends_on is None:
        raise Unprocessable(
            f"campaign_id: there is no campaign {data.campaign_id}.",
            code="unknown-campaign",
            field="campaign_id",
        )
    if not facts.facility_in_campaign:
        raise Unprocessable(
            "facility_id: this facility does not take part in the campaign.",
            code="facility-not-in-campaign",
            field="facility_id",
        )
    if not facts.campaign_starts_on <= data.date <= facts.campaign_ends_on:
        raise Unprocessable(
            f"date: the campaign runs {facts.campaign_starts_on} to {facts.campaign_ends_on}.",
            code="date-outside-campaign",
            field="date",
        )


async def get_checkup(session: AsyncSession, actor: Actor, checkup_id: uuid.UUID) -> Checkup:
    checkup = await repository.get_checkup(session, checkup_id)
    if checkup is None or not actor.require().in_scope(checkup.facility_id):
        raise NotFound(f"Checkup {checkup_id} was not found.")
    return checkup


async def read_checkup(session: AsyncSession, actor: Actor, checkup_id: uuid.UUID) -> Checkup:
    checkup = await get_checkup(session, actor, checkup_id)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="checkup",
        resource_id=checkup.id,
        beneficiary_id=checkup.beneficiary_id,
    )
    return checkup


async def get_appointment(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID
) -> Appointment:
    appointment = await repository.get_appointment(session, appointment_id)
    if appointment is None or not actor.require().in_scope(appointment.facility_id):
        raise NotFound(f"Appointment {appointment_id} was not found.")
    return appointment


async def check_in(session: AsyncSession, actor: Actor, checkup_id: uuid.UUID) -> Checkup:
    """The person has arrived: every booked appointment of the checkup is checked in."""
    checkup = await get_checkup(session, actor, checkup_id)
    if checkup.date != today():
        raise Conflict(
            f"The checkup is on {checkup.date}; check-in happens on the day.",
            code="not-today",
        )
    booked = [a for a in checkup.appointments if a.status == AppointmentStatus.booked]
    if not booked:
        raise Conflict("No booked appointment is left to check in.", code="nothing-to-check-in")
    for appointment in booked:
        await change_status(session, actor, appointment, AppointmentStatus.checked_in, None)
    refresh(checkup)
    await session.flush()
    return checkup


async def cancel_checkup(
    session: AsyncSession, actor: Actor, checkup_id: uuid.UUID, by: CancelledBy, reason: str
) -> Checkup:
    checkup = await get_checkup(session, actor, checkup_id)
    active = [
        a
        for a in checkup.appointments
        if a.status in (AppointmentStatus.booked, AppointmentStatus.checked_in)
    ]
    if not active:
        raise Conflict("Nothing is left to cancel in this checkup.", code="nothing-to-cancel")
    await repository.lock_sessions(session, (a.session_id for a in active))
    for appointment in active:
        await change_status(
            session, actor, appointment, AppointmentStatus.cancelled, reason, cancelled_by=by
        )
    refresh(checkup)
    await session.flush()
    return checkup


async def reschedule(
    session: AsyncSession,
    actor: Actor,
    checkup_id: uuid.UUID,
    new_date: date,
    part_of_day: PartOfDay | None,
    by: CancelledBy,
    reason: str,
) -> CheckupRead:
    """Cancel the checkup's open appointments and book them on another day, linked both ways."""
    old = await get_checkup(session, actor, checkup_id)
    moving = [a for a in old.appointments if a.status == AppointmentStatus.booked]
    if not moving:
        raise Conflict("No booked appointment is left to reschedule.", code="nothing-to-move")
    await repository.lock_sessions(session, (a.session_id for a in moving))
    for appointment in moving:
        await change_status(
            session, actor, appointment, AppointmentStatus.cancelled, reason, cancelled_by=by
        )
    refresh(old)
    await session.flush()
    data = CheckupCreate(
        beneficiary_id=old.beneficiary_id,
        facility_id=old.facility_id,
        date=new_date,
        specialty_codes=[a.specialty_code for a in moving],
        campaign_id=old.campaign_id,
        part_of_day=part_of_day,
        card_override_reason=old.card_override_reason,
    )
    new = await book(
        session,
        actor,
        data,
        rescheduled_from=old,
        predecessors={a.specialty_code: a.id for a in moving},
    )
    successors = {a.specialty_code: a.id for a in new.appointments}
    for appointment in moving:
        appointment.rescheduled_to_id = successors[appointment.specialty_code]
    await session.flush()
    return new


async def cancel_appointment(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID, by: CancelledBy, reason: str
) -> Appointment:
    appointment = await get_appointment(session, actor, appointment_id)
    await change_status(
        session, actor, appointment, AppointmentStatus.cancelled, reason, cancelled_by=by
    )
    await _refresh_checkup_of(session, appointment)
    return appointment


ALLOWED_BY_TRANSITION = frozenset(TRANSITION_TARGETS)


async def transition(
    session: AsyncSession,
    actor: Actor,
    appointment_id: uuid.UUID,
    to: AppointmentStatus,
    reason: str | None,
) -> Appointment:
    appointment = await get_appointment(session, actor, appointment_id)
    if to not in ALLOWED_BY_TRANSITION:
        raise Unprocessable(
            f"status: use the {to.value} operation of its own, not this one.",
            code="use-another-operation",
            field="status",
        )
    if to == AppointmentStatus.noshow and appointment.date >= today():
        raise Conflict("A no-show is only recorded after the day.", code="not-yet-past")
    if to == AppointmentStatus.checked_in and appointment.date != today():
        raise Conflict("Check-in happens on the day.", code="not-today")
    await change_status(session, actor, appointment, to, reason)
    await _refresh_checkup_of(session, appointment)
    return appointment


async def _refresh_checkup_of(session: AsyncSession, appointment: Appointment) -> None:
    checkup = await repository.get_checkup(session, appointment.checkup_id)
    assert checkup is not None
    refresh(checkup)
    await session.flush()


async def mark_noshows(
    session: AsyncSession, actor: Actor, before: date | None, facility_id: uuid.UUID | None
) -> int:
    """Booked appointments of past days become no-shows (cancelled ones never do)."""
    cutoff = min(before or today(), today())
    principal = actor.require()
    scope = principal.scope
    appointments = await repository.past_booked(session, cutoff, scope, facility_id)
    for appointment in appointments:
        await change_status(
            session, actor, appointment, AppointmentStatus.noshow, "not checked in on the day"
        )
    for checkup in await repository.checkups_with_appointments(
        session, {a.checkup_id for a in appointments}
    ):
        refresh(checkup)
    await session.flush()
    return len(appointments)
