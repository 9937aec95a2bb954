"""A message's first claim decides it: whom it goes to, by which channel, with which words.

What is decided is written on the message (and, for a second recipient, on a copy of it) in
one transaction, so that a retry sends the very text the first try sent, and staff read the
text as sent. A reminder whose checkup is no longer planned, or a message with nobody to tell,
is cancelled instead.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
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
    WaitlistEntry,
    WaitlistStatus,
)


@dataclass(frozen=True)
class About:
    """What a message about a checkup (or a place held from a waitlist) says: the person, the
    day, the place, the reason; for an offer, until when the place is held."""

    full_name: str
    day: date
    part_of_day: Any
    facility_name: str
    status: CheckupStatus | None
    reason: str | None
    hold_until: datetime | None = None
    offer_open: bool = False


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


async def _about_offers(session: AsyncSession, entry_ids: set[uuid.UUID]) -> dict[uuid.UUID, About]:
    """What an offer says: the place held (its session's day) and until when."""
    if not entry_ids:
        return {}
    rows = await session.execute(
        select(
            WaitlistEntry.id,
            WaitlistEntry.status,
            WaitlistEntry.hold_until,
            Session.date,
            Session.part_of_day,
            Beneficiary.full_name,
            Facility.name,
        )
        .join(Session, Session.id == WaitlistEntry.offered_session_id)
        .join(Beneficiary, Beneficiary.id == WaitlistEntry.beneficiary_id)
        .join(Facility, Facility.id == WaitlistEntry.facility_id)
        .where(WaitlistEntry.id.in_(entry_ids))
    )
    return {
        r.id: About(
            r.full_name,
            r.date,
            r.part_of_day,
            r.name,
            None,
            None,
            r.hold_until,
            offer_open=r.status == WaitlistStatus.offered,
        )
        for r in rows
    }


async def templates(session: AsyncSession) -> dict[MessageKind, str]:
    """Each kind's text: an admin's if saved, the built-in one otherwise."""
    saved = await session.execute(select(MessageTemplate.kind, MessageTemplate.body))
    return {**texts.DEFAULTS, **{row.kind: row.body for row in saved}}


def _channel(
    recipient: Recipient, settings: Settings, text: str
) -> tuple[MessageChannel, str, str]:
    if recipient.phone is None:
        assert recipient.commune_code is not None
        return MessageChannel.printed, recipient.commune_code, text
    channel = MessageChannel(recipient.channel or MessageChannel.sms)  # as the person chose
    if channel == MessageChannel.sms and settings.sms_without_diacritics:
        text = texts.without_diacritics(text)
    return channel, recipient.phone, text


@dataclass
class Decisions:
    """What the decisions of a batch write: changes to claimed messages, copies for further
    recipients, and the messages to send now."""

    changes: list[tuple[uuid.UUID, dict[str, Any]]] = field(default_factory=list)
    copies: list[dict[str, Any]] = field(default_factory=list)
    ready: list[Outgoing] = field(default_factory=list)


async def prepare(
    session: AsyncSession,
    rows: Sequence[Row[Any]],
    worker: str,
    settings: Settings,
    today: date,
) -> list[Outgoing]:
    """Decide the claimed messages not yet decided; answer every claimed message to send now
    (the caller lets go of those whose channel is not configured)."""
    fresh = [r for r in rows if r.channel is None]
    decisions = Decisions()
    decisions.ready.extend(
        Outgoing(r.id, r.kind, r.channel, r.recipient, r.body, r.params or {})
        for r in rows
        if r.channel is not None
    )
    if not fresh:
        return decisions.ready
    about = await _about(session, {r.checkup_id for r in fresh if r.checkup_id is not None})
    about |= await _about_offers(
        session, {r.waitlist_entry_id for r in fresh if r.waitlist_entry_id is not None}
    )
    bodies = await templates(session)
    people = await message_recipients(session, {r.beneficiary_id for r in fresh})
    for row in fresh:
        said = _decide_one(
            row, about[_subject(row)], bodies, people[row.beneficiary_id], today, decisions
        )
        if said is None:
            continue
        for index, recipient in enumerate(people[row.beneficiary_id]):
            _address(row, index, recipient, settings, said, decisions)
    await queue.write_many(session, worker, decisions.changes)
    if decisions.copies:
        await session.execute(insert(Message), decisions.copies)
    return decisions.ready


def _subject(row: Row[Any]) -> uuid.UUID:
    subject: uuid.UUID = row.checkup_id or row.waitlist_entry_id
    return subject


def _decide_one(
    row: Row[Any],
    about: About,
    bodies: dict[MessageKind, str],
    recipients: list[Recipient],
    today: date,
    decisions: Decisions,
) -> tuple[str, dict[str, str]] | None:
    """The message's text and its template's values, or None when it is cancelled instead."""
    why = None
    if row.kind in REMINDERS and (about.status != CheckupStatus.planned or about.day <= today):
        why = "the checkup is no longer planned"
    elif row.kind == MessageKind.waitlist_offer and not about.offer_open:
        why = "the place is no longer held"
    elif not recipients:
        why = "nobody to tell (no contact, or no consent)"
    if why is not None:
        cancelled = {
            "status": MessageStatus.cancelled,
            "status_detail": why,
            "attempts": row.attempts - 1,
            "claimed_by": None,
            "claimed_until": None,
            "updated_at": utcnow(),
        }
        decisions.changes.append((row.id, cancelled))
        return None
    values = _values(about, today)
    return texts.render(bodies[row.kind], values), values


def _values(about: About, today: date) -> dict[str, str]:
    return texts.values_for(
        about.full_name,
        about.day,
        about.part_of_day,
        about.facility_name,
        today,
        about.reason,
        about.hold_until,
    )


def _address(
    row: Row[Any],
    index: int,
    recipient: Recipient,
    settings: Settings,
    said: tuple[str, dict[str, str]],
    decisions: Decisions,
) -> None:
    """The first recipient's message is the claimed row; a further one is a copy of it, sent
    in a later round (its id derived from the row's, so a copy is never made twice)."""
    text, values = said
    channel, address, body = _channel(recipient, settings, text)
    now = utcnow()
    decided = {
        "channel": channel,
        "recipient": address,
        "recipient_name": recipient.name,
        "body": body,
        "params": values,
        "updated_at": now,
    }
    if index == 0:
        decisions.changes.append((row.id, decided))
        decisions.ready.append(Outgoing(row.id, row.kind, channel, address, body, values))
        return
    decisions.copies.append(
        {
            **decided,
            "id": uuid.uuid5(row.id, f"{channel.value}:{address}"),
            "kind": row.kind,
            "beneficiary_id": row.beneficiary_id,
            "checkup_id": row.checkup_id,
            "waitlist_entry_id": row.waitlist_entry_id,
            "origin_id": row.id,
            "next_attempt_at": now,
            "created_at": now,
        }
    )
