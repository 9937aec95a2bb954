"""Whom a message about a person may go to: the one rule every sender follows (Decree
13/2023/ND-CP on personal data: contact needs the person's consent, and withdrawing it stops
every message).

Other domains (messages, reminders, printed lists) call ``message_recipients`` and nothing else
here; they never read contacts or consents themselves."""

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
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


async def _latest_consent(
    session: AsyncSession, beneficiary_id: uuid.UUID
) -> ContactConsent | None:
    """The person's consent that counts: the last one recorded (None: never asked)."""
    stmt = (
        select(ContactConsent)
        .where(ContactConsent.beneficiary_id == beneficiary_id)
        .order_by(ContactConsent.recorded_at.desc(), ContactConsent.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


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
    person = await session.get(Beneficiary, beneficiary_id)
    if person is None or person.status != BeneficiaryStatus.active:
        return []
    consent = await _latest_consent(session, beneficiary_id)
    if consent is None or consent.status != ConsentStatus.given:
        return []
    channel = consent.channel
    if channel == ContactChannel.none:
        return []
    if channel == ContactChannel.printed_list:
        return [Recipient("beneficiary", person.full_name, channel, None)]
    recipients = []
    if person.phone:
        recipients.append(Recipient("beneficiary", person.full_name, channel, person.phone))
    stmt = (
        select(BeneficiaryContact)
        .where(
            BeneficiaryContact.beneficiary_id == beneficiary_id,
            BeneficiaryContact.may_receive_messages.is_(True),
            BeneficiaryContact.phone.is_not(None),
        )
        .order_by(BeneficiaryContact.full_name, BeneficiaryContact.id)
    )
    for contact in (await session.scalars(stmt)).all():
        recipients.append(
            Recipient(
                "contact",
                contact.full_name,
                channel,
                contact.phone,
                contact_id=contact.id,
                relationship=contact.relationship,
            )
        )
    return recipients
