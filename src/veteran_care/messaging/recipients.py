"""Whom a message about a person goes to.

Until the registry's contacts and consent land (issue 24), this is the one place that decides:
the person themself, at the phone the registry records; without a phone, the printed list of
their commune's health station; neither, nobody. Issue 24's
``beneficiaries.contact_rules.message_recipients(session, beneficiary_id)`` replaces the body
of ``message_recipients`` (the person or their caregiver, as recorded, and nobody without
consent: an empty list, which cancels the message).
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import Beneficiary, BeneficiaryStatus


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: their name, and a phone number or (without one) the commune whose
    printed list carries the message."""

    name: str
    phone: str | None
    commune_code: str | None


async def message_recipients(session: AsyncSession, beneficiary_id: uuid.UUID) -> list[Recipient]:
    """The people to tell about this beneficiary's checkups (empty: tell nobody)."""
    row = (
        await session.execute(
            select(
                Beneficiary.full_name,
                Beneficiary.phone,
                Beneficiary.commune_code,
                Beneficiary.status,
            ).where(Beneficiary.id == beneficiary_id)
        )
    ).one_or_none()
    if row is None or row.status != BeneficiaryStatus.active:
        return []
    if row.phone is None and row.commune_code is None:
        return []
    return [Recipient(row.full_name, row.phone, row.commune_code)]
