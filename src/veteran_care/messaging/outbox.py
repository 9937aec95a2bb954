"""Writing to the outbox, in the caller's transaction: a change committed has its message, a
change rolled back has none (decision 0037).

A message is written as what it is about (kind, checkup, person); whom it goes to, by which
channel and with which words is decided when the dispatcher first takes it, so that a booking
pays for one small INSERT and nothing else.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.kit.clock import utcnow
from veteran_care.models import Message, MessageKind

_MESSAGES: Table = Message.__table__  # type: ignore[assignment]  # a mapped table
# A Core insert built once: through the entity, each execution took the ORM's bulk insert path.
_INSERT = insert(_MESSAGES)


# What a message about a checkup is written with; the other columns take their defaults.
MESSAGE_COLUMNS = (
    "id",
    "kind",
    "checkup_id",
    "beneficiary_id",
    "next_attempt_at",
    "created_at",
    "updated_at",
)


def message_row(
    kind: MessageKind, checkup_id: uuid.UUID, beneficiary_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """The row of a message about a checkup, due ``now``: ``enqueue`` writes it, and
    PostgreSQL's one-statement booking with the booking."""
    values = (uuid.uuid4(), kind, checkup_id, beneficiary_id, now, now, now)
    return dict(zip(MESSAGE_COLUMNS, values, strict=True))


async def enqueue(
    session: AsyncSession, kind: MessageKind, about: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """A message of ``kind`` for each (checkup id, beneficiary id), due now."""
    now = utcnow()
    await write(session, [message_row(kind, c, b, now) for c, b in about])


async def write(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Messages as ``message_row`` made them."""
    if rows:
        await session.execute(_INSERT, list(rows))


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
