"""Every query of the queue. A ticket number is taken by one statement (an upsert of the
session's counter that returns the new number), a call by one conditional UPDATE: two desks
never hand out or call the same number."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import (
    Facility,
    QueueCounter,
    QueueTicket,
    Session,
    Specialty,
    TicketStatus,
)


async def next_number(session: AsyncSession, session_id: uuid.UUID) -> int:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(QueueCounter).values(session_id=session_id, last_number=1)
    statement = statement.on_conflict_do_update(
        index_elements=[QueueCounter.session_id],
        set_={"last_number": QueueCounter.last_number + 1},
    ).returning(QueueCounter.last_number)
    number: int = (await session.execute(statement)).scalar_one()
    return number


async def tickets_of_appointments(
    session: AsyncSession, appointment_ids: Sequence[uuid.UUID]
) -> Sequence[QueueTicket]:
    rows = await session.scalars(
        select(QueueTicket).where(QueueTicket.appointment_id.in_(appointment_ids))
    )
    return rows.all()


async def get_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> QueueTicket | None:
    return await session.get(QueueTicket, ticket_id, populate_existing=True)


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> Session | None:
    return await session.get(Session, session_id)


async def called_in(session: AsyncSession, session_id: uuid.UUID) -> QueueTicket | None:
    return await session.scalar(
        select(QueueTicket).where(
            QueueTicket.session_id == session_id, QueueTicket.status == TicketStatus.called
        )
    )


async def first_waiting(session: AsyncSession, session_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(QueueTicket.id)
        .where(QueueTicket.session_id == session_id, QueueTicket.status == TicketStatus.waiting)
        .order_by(QueueTicket.queued_at, QueueTicket.number)
        .limit(1)
    )


async def call(
    session: AsyncSession, ticket_id: uuid.UUID, at: datetime, by: uuid.UUID | None
) -> bool:
    """Waiting -> called, if it still is waiting (another desk may have called it)."""
    result = await session.execute(
        update(QueueTicket)
        .where(QueueTicket.id == ticket_id, QueueTicket.status == TicketStatus.waiting)
        .values(status=TicketStatus.called, called_at=at, called_by=by)
        .returning(QueueTicket.id)
    )
    return result.first() is not None


async def facility_by_code(session: AsyncSession, code: str) -> Facility | None:
    return await session.scalar(select(Facility).where(Facility.code == code))


async def board_rows(session: AsyncSession, facility_id: uuid.UUID, day: date) -> Sequence[Any]:
    """Every ticket of a facility's day with its session's specialty: few columns, one query."""
    return (
        await session.execute(
            select(
                QueueTicket.session_id,
                Session.specialty_code,
                Specialty.name_vi,
                Specialty.name_en,
                Specialty.sort_order,
                Session.part_of_day,
                QueueTicket.number,
                QueueTicket.status,
                QueueTicket.queued_at,
                QueueTicket.issued_at,
                QueueTicket.called_at,
            )
            .join(Session, Session.id == QueueTicket.session_id)
            .join(Specialty, Specialty.code == Session.specialty_code)
            .where(QueueTicket.facility_id == facility_id, QueueTicket.date == day)
            .order_by(Specialty.sort_order, Session.part_of_day, QueueTicket.session_id)
        )
    ).all()
