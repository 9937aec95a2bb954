"""Whom a message about a person goes to: the registry's rule
(``beneficiaries.contact_rules.message_recipients``: the person and the contacts who may
receive messages for them, and nobody without the person's consent, Decree 13/2023), in the
shape the dispatcher sends to: a phone and the channel the person prefers, or the printed list
of their commune's health station. An empty list cancels the message.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.beneficiaries import contact_rules
from veteran_care.models import Beneficiary


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: their name, and a phone number with the channel the person chose
    (``sms`` or ``zalo``), or (without a phone) the commune whose printed list carries it."""

    name: str
    phone: str | None
    commune_code: str | None
    channel: str | None = None


async def message_recipients(
    session: AsyncSession, beneficiary_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Recipient]]:
    """The people to tell about each beneficiary's checkups (an empty list: tell nobody), for
    a batch of beneficiaries at once."""
    allowed = await contact_rules.recipients_of(session, beneficiary_ids)
    printed = [i for i, people in allowed.items() if any(p.phone is None for p in people)]
    communes = await _communes(session, printed)
    found: dict[uuid.UUID, list[Recipient]] = {}
    for beneficiary_id, people in allowed.items():
        found[beneficiary_id] = []
        for person in people:
            if person.phone is None:
                commune = communes.get(beneficiary_id)
                if commune is not None:
                    found[beneficiary_id].append(Recipient(person.full_name, None, commune))
            else:
                channel = person.channel.value
                found[beneficiary_id].append(
                    Recipient(person.full_name, person.phone, None, channel)
                )
    return found


async def _communes(
    session: AsyncSession, beneficiary_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The commune whose printed list carries a message for someone without a phone."""
    if not beneficiary_ids:
        return {}
    rows = await session.execute(
        select(Beneficiary.id, Beneficiary.commune_code).where(Beneficiary.id.in_(beneficiary_ids))
    )
    return {person_id: commune for person_id, commune in rows if commune is not None}
