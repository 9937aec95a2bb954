"""The statements of the dispatcher's queue: claim what is due, record what came of it.

A claim is one UPDATE of the due rows picked by a sub-select, which takes them for a while
(``claimed_by``, ``claimed_until``) and counts the attempt. On PostgreSQL the sub-select locks
the rows it picks and skips those another worker is picking (``FOR UPDATE SKIP LOCKED``), so
several workers share the queue and none takes a row another holds; SQLite runs one write at a
time, which gives the same. A worker killed mid-send leaves its claim to expire; the message is
then taken again and sent with the same id (decision 0037). Every outcome is written only where
the claim is still the writer's: a worker that lost its claim does not overwrite another's.
"""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.messaging import batch
from veteran_care.models import Message, MessageAttempt, MessageChannel, MessageStatus

_MESSAGES: Table = Message.__table__  # type: ignore[assignment]  # a mapped table
_ATTEMPTS: Table = MessageAttempt.__table__  # type: ignore[assignment]


def _still_mine(worker: str) -> dict[str, Any]:
    """Every outcome is written only where the claim is still the writer's."""
    return {"claimed_by": worker, "status": MessageStatus.pending}


CLAIMED = (
    Message.id,
    Message.kind,
    Message.beneficiary_id,
    Message.checkup_id,
    Message.waitlist_entry_id,
    Message.channel,
    Message.recipient,
    Message.body,
    Message.params,
    Message.attempts,
)


async def give_up_on_expired(
    session: AsyncSession, now: datetime, max_attempts: int, worker: str
) -> None:
    """Messages whose last allowed try was claimed and never answered (the worker died)."""
    await session.execute(
        update(Message)
        .where(
            Message.status == MessageStatus.pending,
            Message.attempts >= max_attempts,
            Message.claimed_until < now,
        )
        .values(
            status=MessageStatus.failed,
            status_detail=f"no answer recorded after {max_attempts} tries",
            claimed_by=None,
            claimed_until=None,
            updated_at=now,
        )
    )


async def claim(
    session: AsyncSession,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    channels: Collection[MessageChannel],
    max_attempts: int,
) -> list[Row[Any]]:
    due = (
        select(Message.id)
        .where(
            Message.status == MessageStatus.pending,
            Message.next_attempt_at <= now,
            or_(Message.claimed_until.is_(None), Message.claimed_until < now),
            or_(Message.channel.is_(None), Message.channel.in_(list(channels))),
            Message.attempts < max_attempts,
        )
        .order_by(Message.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken = await session.execute(
        update(Message)
        .where(Message.id.in_(due.scalar_subquery()))
        .values(
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=Message.attempts + 1,
            updated_at=now,
        )
        .returning(*CLAIMED)
        .execution_options(synchronize_session=False)
    )
    found: list[Row[Any]] = [*taken]
    return found


def _mine(message_id: uuid.UUID, worker: str) -> Any:
    return and_(
        Message.id == message_id,
        Message.claimed_by == worker,
        Message.status == MessageStatus.pending,
    )


async def write(session: AsyncSession, message_id: uuid.UUID, worker: str, **values: Any) -> bool:
    """Change a message this worker still holds; False if it no longer does."""
    done = await session.execute(
        update(Message)
        .where(_mine(message_id, worker))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


async def write_many(
    session: AsyncSession, worker: str, changes: Sequence[tuple[uuid.UUID, dict[str, Any]]]
) -> None:
    """``write`` for many messages: one statement per set of columns changed (``batch``)."""
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for message_id, values in changes:
        keys = tuple(sorted(values))
        groups.setdefault(keys, []).append((message_id, *(values[k] for k in keys)))
    for keys, rows in groups.items():
        await batch.update(session, _MESSAGES, ("id", *keys), rows, _still_mine(worker))


@dataclass(frozen=True)
class Attempt:
    message_id: uuid.UUID
    number: int
    outcome: str
    http_status: int | None
    answer: str


_ATTEMPT_COLUMNS = ("message_id", "number", "at", "worker", "outcome", "http_status", "answer")


async def log_attempts(
    session: AsyncSession, attempts: Sequence[Attempt], worker: str, at: datetime
) -> None:
    rows = [
        (a.message_id, a.number, at, worker, a.outcome, a.http_status, a.answer[:500])
        for a in attempts
    ]
    await batch.insert(session, _ATTEMPTS, _ATTEMPT_COLUMNS, rows)
