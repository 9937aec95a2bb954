"""Writing to the outbox, in the caller's transaction: a change committed has its message, a
change rolled back has none (decision 0037).

A message is written as what it is about (kind, checkup, person); whom it goes to, by which
channel and with which words is decided when the dispatcher first takes it, so that a booking
pays for one small INSERT and nothing else.
"""

import uuid
from collections.abc import Iterable

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.kit.clock import utcnow
from veteran_care.models import Message, MessageKind

_MESSAGES: Table = Message.__table__  # type: ignore[assignment]  # a mapped table
# A Core insert built once: through the entity, each execution took the ORM's bulk insert path.
_INSERT = insert(_MESSAGES)


async def enqueue(
    session: AsyncSession, kind: MessageKind, about: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """A message of ``kind`` for each (checkup id, beneficiary id), due now."""
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "kind": kind,
            "checkup_id": checkup_id,
            "beneficiary_id": beneficiary_id,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for checkup_id, beneficiary_id in about
    ]
    if rows:
        await session.execute(_INSERT, rows)


async def enqueue_offers(
    session: AsyncSession, about: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """A ``waitlist_offer`` for each (waitlist entry id, beneficiary id), due now."""
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "kind": MessageKind.waitlist_offer,
            "waitlist_entry_id": entry_id,
            "beneficiary_id": beneficiary_id,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for entry_id, beneficiary_id in about
    ]
    if rows:
        await session.execute(_INSERT, rows)
