"""Whom a message about a person goes to: the registry's rule
(``beneficiaries.contact_rules.message_recipients``: the person and the contacts who may
receive messages for them, and nobody without the person's consent, Decree 13/2023), in the
shape the dispatcher sends to: a phone and the channel the person prefers, or the printed list
of their commune's health station. An empty list cancels the message.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.beneficiaries import contact_rules
from veteran_care.models import Beneficiary, ContactChannel


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: their name, and a phone number with the channel the person chose
    (``sms`` or ``zalo``), or (without a phone) the commune whose printed list carries it."""

    name: str
    phone: str | None
    commune_code: str | None
    channel: str | None = None


async def message_recipients(session: AsyncSession, beneficiary_id: uuid.UUID) -> list[Recipient]:
    """The people to tell about this beneficiary's checkups (empty: tell nobody)."""
    allowed = await contact_rules.message_recipients(session, beneficiary_id)
    if not allowed:
        return []
    commune = await session.scalar(
        select(Beneficiary.commune_code).where(Beneficiary.id == beneficiary_id)
    )
    found = []
    for person in allowed:
        if person.channel == ContactChannel.printed_list or person.phone is None:
            if commune is not None:
                found.append(Recipient(person.full_name, None, commune))
        else:
            found.append(Recipient(person.full_name, person.phone, commune, person.channel.value))
    return found
