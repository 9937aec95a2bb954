"""Booking checkups into sessions, availability, and the checkup lifecycle.

A booking takes one seat per specialty with a conditional UPDATE each (in session-id order, so
two bookings never wait on each other in opposite orders); if any seat cannot be had, the whole
transaction is rolled back: all or nothing. On PostgreSQL one statement reads the booking's
facts, takes the seats and writes the rows (decisions 0016, 0019). This module is the service
the routers call; the booking's parts are its own modules: the rows it writes
(``booking_rows``), the rules on its facts (``booking_rules``), the places it finds and takes
(``booking_places``), and the statements that run (``booking_facts``, ``booking_repository``,
``booking_at_once``).
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import Conflict, DomainError, NotFound, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.kit.clock import today, utcnow
from veteran_care.kit.i18n import Message
from veteran_care.kit.validation import InvalidInput
from veteran_care.messaging import outbox
from veteran_care.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    Checkup,
    CheckupStatus,
    MessageKind,
    PartOfDay,
)
from veteran_care.queue import service as queue
from veteran_care.scheduling import (
    booking_at_once,
    booking_facts,
    booking_repository,
    booking_rows,
    booking_tables,
    repository,
)
from veteran_care.scheduling.booking_places import available_days, refusal, take_places
from veteran_care.scheduling.booking_rules import check_rules
from veteran_care.scheduling.checkup_schemas import (
    TRANSITION_TARGETS,
    CheckupCreate,
    CheckupRead,
)
from veteran_care.scheduling.lifecycle import change_status, refresh
from veteran_care.scheduling.schemas import AvailableDay
from veteran_care.scheduling.sessions import ensure_not_past, ensure_specialties
from veteran_care.webhooks import events as webhooks


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
    return available_days(found, codes)


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
    checkup = booking_rows.checkup_row(data, principal.account_id, rescheduled_from, now)
    checkup_id: uuid.UUID = checkup["id"]
    appointments = booking_rows.appointment_rows(data, checkup_id, predecessors or {}, now)
    first_change = booking_rows.first_change(checkup_id, actor, now)
    kind = MessageKind.confirmation if rescheduled_from is None else MessageKind.rescheduled
    message = outbox.message_row(kind, checkup_id, data.beneficiary_id, now)
    # What needs no place comes first: the places, once taken, stay locked until the commit.
    await _record(session, actor, data, checkup_id)
    subscriptions = await webhooks.active_subscriptions(session)
    postgresql = booking_tables.on_postgresql(session)
    taken: dict[str, uuid.UUID] | None = None
    if postgresql:  # the facts, the places and the rows in one statement, written if allowed
        check, taken = await booking_at_once.book_at_once(
            session,
            checkup,
            appointments,
            first_change,
            message,
            data.part_of_day,
            allowed_here_and_now=principal.in_scope(data.facility_id) and data.date >= on_the_day,
            card_override=bool(data.card_override_reason),
        )
    else:
        check = await booking_facts.booking_check(
            session,
            data.facility_id,
            data.beneficiary_id,
            data.date,
            data.specialty_codes,
            data.campaign_id,
        )
    facilities.ensure_visible(data.facility_id, actor, exists=check.facility_exists)
    ensure_not_past(data.date, on_the_day)
    await _settle(session, data, check, taken, checkup, appointments, first_change)
    if not postgresql:  # PostgreSQL wrote it with the booking
        await outbox.write(session, [message])
    booked = CheckupRead.model_validate({**checkup, "appointments": appointments})
    await webhooks.emit(session, webhooks.checkup_booked(booked), subscriptions=subscriptions)
    return booked


async def _settle(
    session: AsyncSession,
    data: CheckupCreate,
    check: booking_facts.BookingCheck,
    taken: dict[str, uuid.UUID] | None,
    checkup: dict[str, Any],
    appointments: list[dict[str, Any]],
    first_change: dict[str, Any],
) -> None:
    """The rules on the booking's facts, then its places: on SQLite (``taken`` None) taken and
    the rows written now; on PostgreSQL taken and written already, refused if one is missing.
    Each appointment is placed in the session taken for it."""
    try:
        await check_rules(session, data, check)
        if taken is None:  # SQLite, whose write transactions run one at a time
            taken = await take_places(
                session, data.facility_id, data.specialty_codes, data.date, data.part_of_day
            )
            booking_rows.place(appointments, taken)
            history = [{**first_change, "appointment_id": a["id"]} for a in appointments]
            await booking_repository.insert_checkup(session, checkup, appointments, history)
        else:
            missing = next((c for c in data.specialty_codes if c not in taken), None)
            if missing is not None:  # the caller's transaction rolls back what was written
                raise await refusal(
                    session, data.facility_id, data.specialty_codes, data.date, missing
                )
            booking_rows.place(appointments, taken)
    except DomainError:
        # The specialty codes are checked only when the booking is refused: on success every
        # code has a session, which references its specialty. An unknown code is still the
        # error the caller sees first, as if it had been checked before everything else.
        await ensure_specialties(session, data.specialty_codes, "specialty_codes")
        raise


async def _record(
    session: AsyncSession, actor: Actor, data: CheckupCreate, checkup_id: uuid.UUID
) -> None:
    """The audit trail of a booking: its creation, and a booking without a valid card."""
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


async def get_checkup(session: AsyncSession, actor: Actor, checkup_id: uuid.UUID) -> Checkup:
    checkup = await repository.get_checkup(session, checkup_id)
    if checkup is None or not actor.require().in_scope(checkup.facility_id):
        raise NotFound(Message("Checkup {checkup_id} was not found.", checkup_id=checkup_id))
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
        raise NotFound(
            Message("Appointment {appointment_id} was not found.", appointment_id=appointment_id)
        )
    return appointment


async def check_in(session: AsyncSession, actor: Actor, checkup_id: uuid.UUID) -> Checkup:
    """The person has arrived: every booked appointment of the checkup is checked in."""
    checkup = await get_checkup(session, actor, checkup_id)
    if checkup.date != today():
        raise Conflict(
            Message("The checkup is on {date}; check-in happens on the day.", date=checkup.date),
            code="not-today",
        )
    booked = [a for a in checkup.appointments if a.status == AppointmentStatus.booked]
    if not booked:
        raise Conflict("No booked appointment is left to check in.", code="nothing-to-check-in")
    for appointment in booked:
        await change_status(session, actor, appointment, AppointmentStatus.checked_in, None)
    refresh(checkup)
    await session.flush()
    await queue.issue(session, booked)  # a ticket per specialty (the hall's queue)
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
    await outbox.enqueue(session, MessageKind.cancellation, [(checkup.id, checkup.beneficiary_id)])
    await webhooks.emit(session, webhooks.checkups_cancelled([checkup]))
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
    if old.status == CheckupStatus.cancelled:
        await webhooks.emit(session, webhooks.checkups_cancelled([old]))
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
            Message("status: use the {to} operation of its own, not this one.", to=to.value),
            code="use-another-operation",
            field="status",
        )
    if to == AppointmentStatus.noshow and appointment.date >= today():
        raise Conflict("A no-show is only recorded after the day.", code="not-yet-past")
    if to == AppointmentStatus.checked_in and appointment.date != today():
        raise Conflict("Check-in happens on the day.", code="not-today")
    await change_status(session, actor, appointment, to, reason)
    await _refresh_checkup_of(session, appointment)
    if to == AppointmentStatus.checked_in:
        await queue.issue(session, [appointment])
    return appointment


async def _refresh_checkup_of(session: AsyncSession, appointment: Appointment) -> None:
    checkup = await repository.get_checkup(session, appointment.checkup_id)
    assert checkup is not None
    before = checkup.status
    refresh(checkup)
    await session.flush()
    if checkup.status == CheckupStatus.cancelled != before:  # its last appointment went
        await webhooks.emit(session, webhooks.checkups_cancelled([checkup]))


async def mark_noshows(
    session: AsyncSession, actor: Actor, before: date | None, facility_id: uuid.UUID | None
) -> int:
    """Booked appointments of past days become no-shows (cancelled ones never do). A
    ``before`` after today is refused: today's and later appointments may still be kept."""
    if before is not None and before > today():
        raise InvalidInput(
            "body.before",
            Message(
                "{before} is in the future: only appointments of days that have passed "
                "(before today, {today}, at the latest) can be marked as no-shows.",
                before=before,
                today=today(),
            ),
            error_type="date_in_future",
        )
    cutoff = before or today()
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
