"""The statements of the delivery worker: claim what is due, record what came of it.

The claim is the outbox's (decision 0037): one UPDATE of the rows a sub-select picks with
``FOR UPDATE SKIP LOCKED``, taking them for a lease and counting the attempt. One condition
more keeps the order per person (decision 0047): a delivery is taken only when no earlier
delivery for the same subscription and person is still pending, so only the head of each
line is ever claimed, by one worker, and the next waits until it is delivered or failed.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from veteran_care.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscription,
)

D = WebhookDelivery
PENDING = WebhookDeliveryStatus.pending


async def anything_due(session: AsyncSession, now: datetime) -> bool:
    """A read before the claim's write transaction: an idle worker takes no write lock (one
    writer at a time on SQLite)."""
    found = await session.scalar(
        select(D.seq).where(D.status == PENDING, D.next_attempt_at <= now).limit(1)
    )
    return found is not None


async def give_up_on_expired(session: AsyncSession, now: datetime, max_attempts: int) -> None:
    """Deliveries whose last allowed try was claimed and never answered (the worker died)."""
    await session.execute(
        update(D)
        .where(D.status == PENDING, D.attempts >= max_attempts, D.claimed_until < now)
        .values(
            status=WebhookDeliveryStatus.failed,
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
    max_attempts: int,
) -> list[Row[Any]]:
    earlier = aliased(D)
    waits = exists().where(
        earlier.subscription_id == D.subscription_id,
        earlier.ordering_key == D.ordering_key,
        earlier.status == PENDING,
        earlier.seq < D.seq,
    )
    due = (
        select(D.seq)
        .where(
            D.status == PENDING,
            D.next_attempt_at <= now,
            or_(D.claimed_until.is_(None), D.claimed_until < now),
            D.attempts < max_attempts,
            ~waits,
        )
        .order_by(D.next_attempt_at, D.seq)
        .limit(limit)
        .with_for_update(skip_locked=True, of=D)
    )
    taken = await session.execute(
        update(D)
        .where(D.seq.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + lease, attempts=D.attempts + 1)
        .returning(D.seq, D.id, D.subscription_id, D.body, D.attempts)
        .execution_options(synchronize_session=False)
    )
    return [*taken]


async def secrets_and_urls(
    session: AsyncSession, subscription_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    rows = await session.execute(
        select(WebhookSubscription.id, WebhookSubscription.url, WebhookSubscription.secret).where(
            WebhookSubscription.id.in_(subscription_ids)
        )
    )
    return {r.id: (r.url, r.secret) for r in rows}


async def write(session: AsyncSession, seq: int, worker: str, values: dict[str, Any]) -> bool:
    """Change a delivery this worker still holds; False if it no longer does."""
    done = await session.execute(
        update(D)
        .where(and_(D.seq == seq, D.claimed_by == worker, D.status == PENDING))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


@dataclass(frozen=True)
class Attempt:
    seq: int
    number: int
    outcome: str
    http_status: int | None
    duration_ms: int | None
    answer: str


async def log_attempts(
    session: AsyncSession, attempts: Sequence[Attempt], worker: str, at: datetime
) -> None:
    if attempts:
        await session.execute(
            insert(WebhookAttempt),
            [
                {
                    "delivery_seq": a.seq,
                    "number": a.number,
                    "at": at,
                    "worker": worker,
                    "outcome": a.outcome,
                    "http_status": a.http_status,
                    "duration_ms": a.duration_ms,
                    "answer": a.answer[:500],
                }
                for a in attempts
            ],
        )
