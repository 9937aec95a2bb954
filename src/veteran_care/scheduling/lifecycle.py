"""Appointment status changes (FHIR statuses), their history, and what they do to seats and to
the checkup (FHIR Encounter) they belong to."""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import Conflict
from veteran_care.kit.clock import utcnow
from veteran_care.kit.i18n import Message
from veteran_care.models import (
    SEAT_HOLDING,
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    CancelledBy,
    Checkup,
    CheckupOutcome,
    CheckupStatus,
)
from veteran_care.scheduling import repository, waitlist_offers
from veteran_care.webhooks import events as webhooks

S = AppointmentStatus
TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    S.booked: frozenset({S.checked_in, S.cancelled, S.noshow, S.entered_in_error}),
    S.checked_in: frozenset({S.fulfilled, S.cancelled, S.entered_in_error}),
    S.fulfilled: frozenset({S.entered_in_error}),
    S.noshow: frozenset({S.entered_in_error}),
    S.cancelled: frozenset({S.entered_in_error}),  # never a no-show
    S.entered_in_error: frozenset(),
}
FREES_SEAT = frozenset({S.cancelled, S.entered_in_error})


def history_values(
    appointment_id: uuid.UUID,
    actor: Actor,
    from_status: AppointmentStatus | None,
    to_status: AppointmentStatus,
    reason: str | None,
    changed_at: datetime,
) -> dict[str, Any]:
    """The columns of a history row (for a Core insert)."""
    principal = actor.principal
    return {
        "appointment_id": appointment_id,
        "changed_at": changed_at,
        "changed_by": principal.account_id if principal else None,
        "from_status": from_status.value if from_status else None,
        "to_status": to_status.value,
        "reason": reason,
    }


def history_row(
    appointment_id: uuid.UUID,
    actor: Actor,
    from_status: AppointmentStatus | None,
    to_status: AppointmentStatus,
    reason: str | None,
) -> AppointmentStatusChange:
    return AppointmentStatusChange(
        **history_values(appointment_id, actor, from_status, to_status, reason, utcnow())
    )


async def change_status(
    session: AsyncSession,
    actor: Actor,
    appointment: Appointment,
    to: AppointmentStatus,
    reason: str | None,
    *,
    cancelled_by: CancelledBy | None = None,
) -> None:
    """Move an appointment along the lifecycle; refuse a move the lifecycle does not allow."""
    current = appointment.status
    if to not in TRANSITIONS[current]:
        raise Conflict(
            Message(
                "An appointment that is {current} cannot become {to}.",
                current=current.value,
                to=to.value,
            ),
            code="invalid-status-transition",
            appointment_id=str(appointment.id),
        )
    if current in SEAT_HOLDING and to in FREES_SEAT:  # to the first on a waitlist, if any
        await waitlist_offers.free_seat(session, appointment.session_id)
    appointment.status = to
    if to == S.cancelled:
        appointment.cancelled_by = cancelled_by or CancelledBy.facility
        appointment.cancel_reason = reason
    elif current == S.cancelled:
        # Only a cancelled appointment names who cancelled (a CHECK says so); the history keeps
        # the cancellation and its reason.
        appointment.cancelled_by = None
    session.add(history_row(appointment.id, actor, current, to, reason))
    await session.flush()
    await webhooks.emit(session, webhooks.appointment_status_changed(appointment, current))
    await audit.record(
        session,
        actor,
        "status_change",
        resource_type="appointment",
        resource_id=appointment.id,
        beneficiary_id=appointment.beneficiary_id,
        changed_fields=["status"],
        detail=f"{current.value} -> {to.value}",
    )


def checkup_status(appointments: Iterable[Appointment]) -> CheckupStatus:
    statuses = {a.status for a in appointments}
    if not statuses or statuses <= {S.entered_in_error}:
        return CheckupStatus.entered_in_error
    if statuses <= {S.cancelled, S.entered_in_error}:
        return CheckupStatus.cancelled
    if statuses <= {S.fulfilled, S.cancelled, S.noshow, S.entered_in_error}:
        return CheckupStatus.finished  # each examination fulfilled, cancelled or missed
    if statuses & {S.checked_in, S.fulfilled}:
        return CheckupStatus.arrived
    return CheckupStatus.planned


def checkup_outcome(appointments: Iterable[Appointment]) -> CheckupOutcome | None:
    """The outcome the reports count (see ``CheckupOutcome``); None if every appointment is
    entered in error."""
    counted = [a for a in appointments if a.status != S.entered_in_error]
    statuses = {a.status for a in counted}
    if not statuses:
        return None
    if statuses & {S.checked_in, S.fulfilled}:
        return CheckupOutcome.attended
    if S.noshow in statuses:
        return CheckupOutcome.noshow
    if S.booked in statuses:
        return CheckupOutcome.pending
    # Several cancellations: the first one decides who cancelled (an appointment is last
    # changed when it is cancelled).
    first = min(
        (a for a in counted if a.status == S.cancelled),
        key=lambda a: (a.updated_at or datetime.max.replace(tzinfo=UTC), str(a.id)),
    )
    if first.cancelled_by == CancelledBy.patient:
        return CheckupOutcome.cancelled_by_patient
    return CheckupOutcome.cancelled_by_facility


async def refresh_checkups(
    session: AsyncSession, checkup_ids: Iterable[uuid.UUID]
) -> list[Checkup]:
    """Refresh the checkups and answer them."""
    checkups = list(await repository.checkups_with_appointments(session, checkup_ids))
    for checkup in checkups:
        refresh(checkup)
    await session.flush()
    return checkups


def refresh(checkup: Checkup) -> None:
    """Derive the checkup's status and stored outcome from its appointments: every change of an
    appointment's status is followed by this (check-in, results, cancellations, no-shows, session
    cancellation, rescheduling, entered in error)."""
    status = checkup_status(checkup.appointments)
    if status != checkup.status:
        checkup.status = status
    outcome = checkup_outcome(checkup.appointments)
    if outcome != checkup.outcome:
        checkup.outcome = outcome
