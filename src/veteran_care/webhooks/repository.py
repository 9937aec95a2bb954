"""The queries of the webhook API: subscriptions, a subscription's deliveries with their tries,
and the counts /metrics shows."""

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscription,
)


async def subscriptions(session: AsyncSession) -> Sequence[WebhookSubscription]:
    found = await session.scalars(
        select(WebhookSubscription).order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    return found.all()


async def remove(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    """The subscription, its deliveries and their tries (whatever the backend's foreign keys
    do on delete)."""
    of_it = select(WebhookDelivery.seq).where(WebhookDelivery.subscription_id == subscription_id)
    await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_seq.in_(of_it)))
    await session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    )
    await session.execute(
        delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    )


async def deliveries(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    status: WebhookDeliveryStatus | None,
    limit: int,
) -> tuple[Sequence[WebhookDelivery], dict[int, list[WebhookAttempt]]]:
    """The newest deliveries of a subscription (by ``seq``), each with its tries in order."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    found = (await session.scalars(query.order_by(WebhookDelivery.seq.desc()).limit(limit))).all()
    tries: dict[int, list[WebhookAttempt]] = {d.seq: [] for d in found}
    if found:
        attempts = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_seq.in_(list(tries)))
            .order_by(WebhookAttempt.delivery_seq, WebhookAttempt.number, WebhookAttempt.id)
        )
        for attempt in attempts:
            tries[attempt.delivery_seq].append(attempt)
    return found, tries


async def by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    )
    return {str(status): n for status, n in rows}
