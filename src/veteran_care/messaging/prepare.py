"""A message's first claim decides it: whom it goes to, by which channel, with which words.

What is decided is written on the message (and, for a second recipient, on a copy of it) in
one transaction, so that a retry sends the very text the first try sent, and staff read the
text as sent. A reminder whose checkup is no longer planned, or a message with nobody to tell,
is cancelled instead.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.config import Settings
from veteran_care.kit.clock import utcnow
from veteran_care.messaging import queue, texts
from veteran_care.messaging.channels.base import Outgoing
from veteran_care.messaging.recipients import Recipient, message_recipients
from veteran_care.models import (
    REMINDERS,
    Appointment,
    AppointmentStatus,
    Beneficiary,
    Checkup,
    CheckupStatus,
    Facility,
    Message,
    MessageChannel,
    MessageKind,
    MessageStatus,
    MessageTemplate,
    Session,
)


@dataclass(frozen=True)
class About:
    """What a message about a checkup says: the person, the day, the place, the reason."""

    full_name: str
    day: date
    part_of_day: Any
    facility_name: str
    status: CheckupStatus
    reason: str | None


async def _about(session: AsyncSession, checkup_ids: set[uuid.UUID]) -> dict[uuid.UUID, About]:
    rows = await session.execute(
        select(
            Checkup.id,
            Checkup.date,
            Checkup.part_of_day,
            Checkup.status,
            Beneficiary.full_name,
            Facility.name,
        )
        .join(Beneficiary, Beneficiary.id == Checkup.beneficiary_id)
        .join(Facility, Facility.id == Checkup.facility_id)
        .where(Checkup.id.in_(checkup_ids))
    )
    reasons = await session.execute(
        select(Appointment.checkup_id, Session.cancel_reason, Appointment.cancel_reason)
        .join(Session, Session.id == Appointment.session_id)
        .where(
            Appointment.checkup_id.in_(checkup_ids),
            Appointment.status == AppointmentStatus.cancelled,
        )
    )
    why = {r[0]: r[1] or r[2] for r in reasons}
    return {
        r.id: About(r.full_name, r.date, r.part_of_day, r.name, r.status, why.get(r.id))
        for r in rows
    }


async def templates(session: AsyncSession) -> dict[MessageKind, str]:
    """Each kind's text: an admin's if saved, the built-in one otherwise."""
    saved = await session.execute(select(MessageTemplate.kind, MessageTemplate.body))
    return {**texts.DEFAULTS, **{row.kind: row.body for row in saved}}


def _decide(recipient: Recipient, settings: Settings, text: str) -> tuple[MessageChannel, str, str]:
    if recipient.phone is None:
        assert recipient.commune_code is not None
        return MessageChannel.printed, recipient.commune_code, text
    channel = MessageChannel(settings.phone_channel)
    if channel == MessageChannel.sms and settings.sms_without_diacritics:
        text = texts.without_diacritics(text)
    return channel, recipient.phone, text


async def prepare(
    session: AsyncSession,
    rows: Sequence[Row[Any]],
    worker: str,
    settings: Settings,
    today: date,
) -> list[Outgoing]:
    """Decide the claimed messages not yet decided; answer every claimed message to send now.
    Messages whose channel is not configured are decided and let go (they wait)."""
    fresh = [r for r in rows if r.channel is None]
    about = await _about(session, {r.checkup_id for r in fresh}) if fresh else {}
    bodies = await templates(session) if fresh else {}
    ready = [
        Outgoing(r.id, r.kind, r.channel, r.recipient, r.body, r.params or {})
        for r in rows
        if r.channel is not None
    ]
    for row in fresh:
        decided = await _decide_one(
            session, row, about[row.checkup_id], bodies, worker, settings, today
        )
        ready.extend(decided)
    return ready


async def _decide_one(
    session: AsyncSession,
    row: Row[Any],
    about: About,
    bodies: dict[MessageKind, str],
    worker: str,
    settings: Settings,
    today: date,
) -> list[Outgoing]:
    now = utcnow()
    if row.kind in REMINDERS and (about.status != CheckupStatus.planned or about.day <= today):
        await _cancel(session, row, worker, "the checkup is no longer planned")
        return []
    recipients = await message_recipients(session, row.beneficiary_id)
    if not recipients:
        await _cancel(session, row, worker, "nobody to tell (no contact, or no consent)")
        return []
    values = texts.values_for(
        about.full_name, about.day, about.part_of_day, about.facility_name, today, about.reason
    )
    text = texts.render(bodies[row.kind], values)
    out: list[Outgoing] = []
    for index, recipient in enumerate(recipients):
        channel, address, body = _decide(recipient, settings, text)
        decided = {
            "channel": channel,
            "recipient": address,
            "recipient_name": recipient.name,
            "body": body,
            "params": values,
            "updated_at": now,
        }
        if index == 0:
            message_id = row.id
            await queue.write(session, row.id, worker, **decided)
        else:  # a copy for another recipient, sent in a later round
            message_id = uuid.uuid5(row.id, f"{channel.value}:{address}")
            await session.execute(
                insert(Message).values(
                    id=message_id,
                    kind=row.kind,
                    beneficiary_id=row.beneficiary_id,
                    checkup_id=row.checkup_id,
                    origin_id=row.id,
                    next_attempt_at=now,
                    created_at=now,
                    **decided,
                )
            )
            continue
        out.append(Outgoing(message_id, row.kind, channel, address, body, values))
    return out


async def _cancel(session: AsyncSession, row: Row[Any], worker: str, why: str) -> None:
    await queue.write(
        session,
        row.id,
        worker,
        status=MessageStatus.cancelled,
        status_detail=why,
        attempts=row.attempts - 1,
        claimed_by=None,
        claimed_until=None,
        updated_at=utcnow(),
    )
