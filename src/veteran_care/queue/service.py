"""Tickets on check-in, calls, served and absent, and each line's state for the board."""

import asyncio
import contextlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import Conflict, NotFound
from veteran_care.kit.clock import utcnow
from veteran_care.kit.i18n import Message
from veteran_care.models import Appointment, Facility, QueueTicket, TicketStatus
from veteran_care.queue import repository
from veteran_care.queue.schemas import Board, Line

NEXT_SHOWN = 3
CALL_TRIES = 5


class Changes:
    """Wakes the hall displays of this worker when a line changes (others see it at their next
    look at the database, within a second)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_at_most(self, seconds: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)


changes = Changes()


async def issue(session: AsyncSession, appointments: Iterable[Appointment]) -> list[QueueTicket]:
    """A ticket for each checked-in appointment that has none yet, numbered in its session."""
    wanted = list(appointments)
    have = {
        t.appointment_id
        for t in await repository.tickets_of_appointments(session, [a.id for a in wanted])
    }
    now = utcnow()
    tickets = []
    for appointment in wanted:
        if appointment.id in have:
            continue
        number = await repository.next_number(session, appointment.session_id)
        ticket = QueueTicket(
            session_id=appointment.session_id,
            appointment_id=appointment.id,
            facility_id=appointment.facility_id,
            specialty_code=appointment.specialty_code,
            date=appointment.date,
            number=number,
            status=TicketStatus.waiting,
            queued_at=now,
            issued_at=now,
            requeued=False,
        )
        session.add(ticket)
        tickets.append(ticket)
    await session.flush()
    return tickets


async def tickets_of(
    session: AsyncSession, appointments: Sequence[Appointment]
) -> Sequence[QueueTicket]:
    return await repository.tickets_of_appointments(session, [a.id for a in appointments])


async def call_next(session: AsyncSession, actor: Actor, session_id: uuid.UUID) -> QueueTicket:
    """The first in line of a session is called (shown on the display)."""
    planned = await repository.get_session(session, session_id)
    if planned is None or not actor.require().in_scope(planned.facility_id):
        raise NotFound(Message("Session {session_id} was not found.", session_id=session_id))
    called = await repository.called_in(session, session_id)
    if called is not None:
        raise Conflict(
            Message(
                "Number {number} is still called: mark it served or absent first.",
                number=called.number,
            ),
            code="ticket-still-called",
            ticket_id=str(called.id),
        )
    for _ in range(CALL_TRIES):
        first = await repository.first_waiting(session, session_id)
        if first is None:
            raise Conflict(Message("Nobody is waiting in this line."), code="queue-empty")
        if await repository.call(session, first, utcnow(), actor.require().account_id):
            ticket = await repository.get_ticket(session, first)
            assert ticket is not None
            await _record(session, actor, ticket, "called")
            return ticket
    raise Conflict(Message("Another desk is calling this line; try again."), code="busy-line")


async def finish(
    session: AsyncSession, actor: Actor, ticket_id: uuid.UUID, served: bool
) -> QueueTicket:
    """A called ticket is served, or absent: back in line once, absent for good the second
    time."""
    ticket = await repository.get_ticket(session, ticket_id)
    if ticket is None or not actor.require().in_scope(ticket.facility_id):
        raise NotFound(Message("Ticket {ticket_id} was not found.", ticket_id=ticket_id))
    if ticket.status != TicketStatus.called:
        raise Conflict(
            Message(
                "Number {number} is {status}, not called.",
                number=ticket.number,
                status=ticket.status.value,
            ),
            code="ticket-not-called",
        )
    now = utcnow()
    if served:
        ticket.status, ticket.done_at = TicketStatus.served, now
    elif not ticket.requeued:
        ticket.status, ticket.requeued, ticket.queued_at = TicketStatus.waiting, True, now
    else:
        ticket.status, ticket.done_at = TicketStatus.absent, now
    await session.flush()
    await _record(session, actor, ticket, "served" if served else "absent")
    return ticket


async def _record(session: AsyncSession, actor: Actor, ticket: QueueTicket, what: str) -> None:
    await audit.record(
        session,
        actor,
        "update",
        resource_type="queue_ticket",
        resource_id=ticket.id,
        changed_fields=["status"],
        detail=f"{what}: number {ticket.number} -> {ticket.status.value}",
    )


async def board(session: AsyncSession, facility: Facility, day: date, language: str) -> Board:
    """Each line of the facility's day: current and next numbers, waiting, average wait."""
    lines: dict[uuid.UUID, Line] = {}
    waits: dict[uuid.UUID, list[float]] = {}
    rows = await repository.board_rows(session, facility.id, day)
    waiting: dict[uuid.UUID, list[tuple[object, int]]] = {}
    for row in rows:
        line = lines.get(row.session_id)
        if line is None:
            line = lines[row.session_id] = Line(
                session_id=row.session_id,
                specialty_code=row.specialty_code,
                specialty=row.name_vi if language == "vi" else row.name_en,
                part_of_day=row.part_of_day,
                current=None,
                next=[],
                waiting=0,
                average_wait_seconds=None,
            )
        if row.status == TicketStatus.called:
            line.current = row.number
        elif row.status == TicketStatus.waiting:
            waiting.setdefault(row.session_id, []).append((row.queued_at, row.number))
        if row.called_at is not None:
            waits.setdefault(row.session_id, []).append(
                (row.called_at - row.issued_at).total_seconds()
            )
    for session_id, line in lines.items():
        queue = sorted(waiting.get(session_id, []), key=lambda t: (str(t[0]), t[1]))
        line.waiting = len(queue)
        line.next = [number for _, number in queue[:NEXT_SHOWN]]
        seen = waits.get(session_id)
        line.average_wait_seconds = round(sum(seen) / len(seen)) if seen else None
    return Board(facility_code=facility.code, date=day, lines=list(lines.values()))
