"""The staff's reads of the outbox: a person's messages with their attempts, the queue's
state, the printed list of a commune, and the counts /metrics shows."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import (
    Checkup,
    Facility,
    Message,
    MessageAttempt,
    MessageChannel,
    MessageStatus,
    Session,
    WaitlistEntry,
)


async def of_person(
    session: AsyncSession, beneficiary_id: uuid.UUID
) -> tuple[Sequence[Message], dict[uuid.UUID, list[MessageAttempt]]]:
    messages = (
        await session.scalars(
            select(Message)
            .where(Message.beneficiary_id == beneficiary_id)
            .order_by(Message.created_at.desc(), Message.id)
        )
    ).all()
    tries: dict[uuid.UUID, list[MessageAttempt]] = {m.id: [] for m in messages}
    if messages:
        found = await session.scalars(
            select(MessageAttempt)
            .where(MessageAttempt.message_id.in_(list(tries)))
            .order_by(MessageAttempt.message_id, MessageAttempt.number, MessageAttempt.id)
        )
        for attempt in found:
            tries[attempt.message_id].append(attempt)
    return messages, tries


async def counts(session: AsyncSession, now: datetime) -> dict[str, Any]:
    pending = Message.status == MessageStatus.pending
    claimed = pending & Message.claimed_until.is_not(None) & (Message.claimed_until > now)
    due = pending & (Message.next_attempt_at <= now) & ~claimed
    row = (
        await session.execute(
            select(
                func.count(case((due, 1))).label("due"),
                func.count(case((pending & (Message.next_attempt_at > now) & ~claimed, 1))).label(
                    "retry_later"
                ),
                func.count(case((claimed, 1))).label("in_flight"),
                func.count(case((Message.status == MessageStatus.sent, 1))).label("sent"),
                func.count(case((Message.status == MessageStatus.failed, 1))).label("failed"),
                func.count(case((Message.status == MessageStatus.cancelled, 1))).label("cancelled"),
                func.min(case((due, Message.next_attempt_at))).label("oldest_due_at"),
            )
        )
    ).one()
    return dict(row._mapping)


async def by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Message.status, func.count()).group_by(Message.status))
    return {str(status): n for status, n in rows}


async def printed(session: AsyncSession, commune_code: str, since: datetime) -> Sequence[Row[Any]]:
    """The messages on a commune's printed list since a moment, oldest first."""
    found = await session.execute(
        select(
            Message.created_at,
            Message.kind,
            Message.recipient_name,
            func.coalesce(Checkup.date, Session.date).label("date"),
            Message.body,
        )
        .outerjoin(Checkup, Checkup.id == Message.checkup_id)
        .outerjoin(WaitlistEntry, WaitlistEntry.id == Message.waitlist_entry_id)
        .outerjoin(Session, Session.id == WaitlistEntry.offered_session_id)
        .where(
            Message.channel == MessageChannel.printed,
            Message.recipient == commune_code,
            Message.status == MessageStatus.sent,
            Message.created_at >= since,
        )
        .order_by(Message.created_at, Message.id)
    )
    rows: list[Row[Any]] = [*found]
    return rows


async def checkup_with_place(
    session: AsyncSession, checkup_id: uuid.UUID
) -> tuple[Checkup, str, str | None] | None:
    found = (
        await session.execute(
            select(Checkup, Facility.name, Facility.address)
            .join(Facility, Facility.id == Checkup.facility_id)
            .where(Checkup.id == checkup_id)
        )
    ).one_or_none()
    return None if found is None else (found[0], found[1], found[2])


async def last_sent_to(
    session: AsyncSession, addresses: Sequence[str]
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(checkup, person) of the newest message sent to one of these numbers; None when it is
    about no checkup (a waitlist offer: a reply to it is only logged)."""
    found = (
        await session.execute(
            select(Message.checkup_id, Message.beneficiary_id)
            .where(
                Message.recipient.in_(list(addresses)),
                Message.channel != MessageChannel.printed,
                Message.status == MessageStatus.sent,
            )
            .order_by(Message.sent_at.desc())
            .limit(1)
        )
    ).first()
    if found is None or found[0] is None:
        return None
    return (found[0], found[1])
