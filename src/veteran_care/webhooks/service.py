"""Webhook subscriptions: register, read, change and remove them; read their delivery log.
Each change is audited; the secret is returned by ``create`` only."""

import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import NotFound
from veteran_care.kit.clock import utcnow
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.models import WebhookDeliveryStatus, WebhookSubscription
from veteran_care.webhooks import repository, signing
from veteran_care.webhooks.schemas import (
    WebhookAttemptRead,
    WebhookDeliveryRead,
    WebhookSubscriptionCreate,
    WebhookSubscriptionCreated,
    WebhookSubscriptionUpdate,
)

RESOURCE = "webhook_subscription"


async def create(
    session: AsyncSession, actor: Actor, data: WebhookSubscriptionCreate
) -> WebhookSubscriptionCreated:
    secret = data.secret or signing.new_secret()
    subscription = WebhookSubscription(
        url=data.url,
        events=[e.value for e in data.events],
        personal_data=data.personal_data,
        description=data.description,
        active=data.active,
        secret=secret,
        created_by=actor.require().account_id,
    )
    session.add(subscription)
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type=RESOURCE,
        resource_id=subscription.id,
        changed_fields=sorted(data.model_fields_set),
    )
    shown = WebhookSubscriptionCreated.model_validate(
        {**_columns(subscription), "secret": secret}, from_attributes=False
    )
    return shown


def _columns(subscription: WebhookSubscription) -> dict[str, object]:
    return {
        name: getattr(subscription, name)
        for name in (
            "id",
            "url",
            "events",
            "personal_data",
            "description",
            "active",
            "created_at",
            "updated_at",
            "version",
        )
    }


async def get(session: AsyncSession, subscription_id: uuid.UUID) -> WebhookSubscription:
    found = await session.get(WebhookSubscription, subscription_id)
    if found is None:
        raise NotFound(
            Message(
                "Webhook subscription {subscription_id} was not found.",
                subscription_id=subscription_id,
            )
        )
    return found


async def all_of(session: AsyncSession) -> list[WebhookSubscription]:
    return list(await repository.subscriptions(session))


async def update(
    session: AsyncSession,
    actor: Actor,
    subscription_id: uuid.UUID,
    data: WebhookSubscriptionUpdate,
    if_match: str | None,
) -> WebhookSubscription:
    subscription = await get(session, subscription_id)
    check_if_match(if_match, subscription.version)
    changes = data.model_dump(exclude_unset=True)
    if "events" in changes:
        changes["events"] = [e.value for e in data.events or []]
    for name, value in changes.items():
        setattr(subscription, name, value)
    subscription.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type=RESOURCE,
        resource_id=subscription.id,
        changed_fields=sorted(data.model_fields_set),
    )
    return subscription


async def delete(session: AsyncSession, actor: Actor, subscription_id: uuid.UUID) -> None:
    await get(session, subscription_id)
    await repository.remove(session, subscription_id)
    await audit.record(
        session, actor, "delete", resource_type=RESOURCE, resource_id=subscription_id
    )


async def deliveries(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    status: WebhookDeliveryStatus | None,
    limit: int,
) -> list[WebhookDeliveryRead]:
    await get(session, subscription_id)
    found, tries = await repository.deliveries(session, subscription_id, status, limit)
    return [
        WebhookDeliveryRead(
            id=d.id,
            seq=d.seq,
            event=d.event,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
            status_detail=d.status_detail,
            created_at=d.created_at,
            body=json.loads(d.body),
            tries=[WebhookAttemptRead.model_validate(t) for t in tries[d.seq]],
        )
        for d in found
    ]
