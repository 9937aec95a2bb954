"""Whom a message about a person may go to: the one rule every sender follows (Decree
13/2023/ND-CP on personal data: contact needs the person's consent, and withdrawing it stops
every message).

Other domains (messages, reminders, printed lists) call ``message_recipients`` and nothing else
here; they never read contacts or consents themselves."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import (
    Beneficiary,
    BeneficiaryContact,
    BeneficiaryStatus,
    ConsentStatus,
    ContactChannel,
    ContactConsent,
    ContactRelationship,
)

PHONE_CHANNELS = frozenset({ContactChannel.sms, ContactChannel.zalo})


@dataclass(frozen=True)
class Recipient:
    """One addressee of a message about a person.

    ``kind``: ``beneficiary`` (the person) or ``contact`` (a relative or caregiver, with
    ``contact_id`` and ``relationship``). ``channel``: ``sms`` or ``zalo`` (send to ``phone``,
    in full: mask it before showing it to a role that does not see identifiers), or
    ``printed-list`` (the person's name goes on the list the commune health station prints;
    ``phone`` is None)."""

    kind: Literal["beneficiary", "contact"]
    full_name: str
    channel: ContactChannel
    phone: str | None
    contact_id: uuid.UUID | None = None
    relationship: ContactRelationship | None = None


async def message_recipients(session: AsyncSession, beneficiary_id: uuid.UUID) -> list[Recipient]:
    """Whom a message about ``beneficiary_id`` may go to, in order: the person first, then the
    contacts who may receive messages (by name).

    Empty when the person is unknown, not active (deceased, moved away), has never given
    consent, has withdrawn it (the latest consent counts), or prefers no channel (``none``).
    With ``printed-list`` the one recipient is the person, without a phone. With ``sms`` or
    ``zalo``: the person if they have a phone, and every contact marked
    ``may_receive_messages`` who has one (a caregiver receives for the person).

    Reads only; checks no caller's rights (the caller decides who may send) and records no
    audit event (the sender records what it sends)."""
    return (await recipients_of(session, [beneficiary_id]))[beneficiary_id]


async def recipients_of(
    session: AsyncSession, beneficiary_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Recipient]]:
    """``message_recipients`` of many people at once, in three reads whatever their number
    (a dispatcher deciding a batch of messages)."""
    ids = list(set(beneficiary_ids))
    people = {
        row.id: row
        for row in await session.execute(
            select(Beneficiary.id, Beneficiary.full_name, Beneficiary.phone).where(
                Beneficiary.id.in_(ids), Beneficiary.status == BeneficiaryStatus.active
            )
        )
    }
    channels = await _consented_channels(session, list(people))
    by_phone = [i for i, channel in channels.items() if channel in PHONE_CHANNELS]
    contacts = await _contacts(session, by_phone)
    found: dict[uuid.UUID, list[Recipient]] = {i: [] for i in ids}
    for person_id, channel in channels.items():
        person = people[person_id]
        if channel == ContactChannel.printed_list:
            found[person_id] = [Recipient("beneficiary", person.full_name, channel, None)]
            continue
        if person.phone:
            found[person_id].append(
                Recipient("beneficiary", person.full_name, channel, person.phone)
            )
        found[person_id].extend(
            Recipient(
                "contact",
                c.full_name,
                channel,
                c.phone,
                contact_id=c.id,
                relationship=c.relationship,
            )
            for c in contacts.get(person_id, [])
        )
    return found


async def _consented_channels(
    session: AsyncSession, beneficiary_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ContactChannel]:
    """The channel each person chose, for those whose consent that counts (the last one
    recorded) is given and names a channel; the others are absent."""
    if not beneficiary_ids:
        return {}
    order = (ContactConsent.recorded_at.desc(), ContactConsent.id.desc())
    ranked = (
        select(
            ContactConsent.beneficiary_id,
            ContactConsent.status,
            ContactConsent.channel,
            func.row_number()
            .over(partition_by=ContactConsent.beneficiary_id, order_by=order)
            .label("n"),
        )
        .where(ContactConsent.beneficiary_id.in_(beneficiary_ids))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.beneficiary_id, ranked.c.channel).where(
            ranked.c.n == 1,
            ranked.c.status == ConsentStatus.given,
            ranked.c.channel != ContactChannel.none,
        )
    )
    return {person_id: ContactChannel(channel) for person_id, channel in rows}


async def _contacts(
    session: AsyncSession, beneficiary_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[BeneficiaryContact]]:
    """Each person's contacts who may receive messages and have a phone, by name."""
    if not beneficiary_ids:
        return {}
    stmt = (
        select(BeneficiaryContact)
        .where(
            BeneficiaryContact.beneficiary_id.in_(beneficiary_ids),
            BeneficiaryContact.may_receive_messages.is_(True),
            BeneficiaryContact.phone.is_not(None),
        )
        .order_by(BeneficiaryContact.full_name, BeneficiaryContact.id)
    )
    found: dict[uuid.UUID, list[BeneficiaryContact]] = {}
    for contact in (await session.scalars(stmt)).all():
        found.setdefault(contact.beneficiary_id, []).append(contact)
    return found
