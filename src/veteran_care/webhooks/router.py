"""/api/v1/webhook-subscriptions: other systems told about events (decision 0047).

Who: admins, with `accounts:manage` as for the accounts of other systems: a subscription
sends events of the whole deployment to another system, and one allowed personal data sends
names."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.json_body import JsonBodyRoute
from veteran_care.models import WebhookDeliveryStatus
from veteran_care.webhooks import service
from veteran_care.webhooks.schemas import (
    WebhookDeliveryRead,
    WebhookSubscriptionCreate,
    WebhookSubscriptionCreated,
    WebhookSubscriptionRead,
    WebhookSubscriptionUpdate,
)

router = APIRouter(route_class=JsonBodyRoute, prefix="/webhook-subscriptions", tags=["webhooks"])

Admin = Annotated[Actor, allow(Permission.accounts_manage)]
IfMatch = Annotated[
    str | None,
    Header(max_length=200, description="ETag from your last read; required (428 without)."),
]

EVENTS_DESCRIPTION = (
    "Each event is posted as JSON `{type, timestamp, data}` and signed as Standard Webhooks "
    "says: headers `webhook-id` (the same at every try), `webhook-timestamp` and "
    "`webhook-signature` (`v1,` base64 HMAC-SHA256 of `id.timestamp.body` with the secret). "
    "A 2xx answer delivers it; any other answer or none is tried again with a growing wait "
    "(410: not again). Events about one person reach one subscription in the order they "
    "happened. `data` holds ids (`beneficiary_id` and what the event is about); with "
    "`personal_data` also `person` (full_name, birth_year, sex, commune_code) and the event's "
    "details (dates, statuses, specialty, medicine and quantity, changed fields)."
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a system to tell about events (the secret is shown this once)",
    description=EVENTS_DESCRIPTION,
    responses=problem_responses(),
)
async def create_webhook_subscription(
    data: WebhookSubscriptionCreate, actor: Admin, session: WriteSession, response: Response
) -> WebhookSubscriptionCreated:
    created = await service.create(session, actor, data)
    set_etag(response, created.version)
    response.headers["Location"] = f"/api/v1/webhook-subscriptions/{created.id}"
    return created


@router.get("", summary="List the webhook subscriptions", responses=problem_responses())
async def list_webhook_subscriptions(
    actor: Admin, session: ReadSession
) -> list[WebhookSubscriptionRead]:
    return [WebhookSubscriptionRead.model_validate(s) for s in await service.all_of(session)]


@router.get(
    "/{subscription_id}",
    summary="Read a webhook subscription",
    responses=problem_responses(404) | sends_etag(),
)
async def get_webhook_subscription(
    subscription_id: uuid.UUID, actor: Admin, session: ReadSession, response: Response
) -> WebhookSubscriptionRead:
    found = await service.get(session, subscription_id)
    set_etag(response, found.version)
    return WebhookSubscriptionRead.model_validate(found)


@router.patch(
    "/{subscription_id}",
    summary="Change a webhook subscription (URL, events, personal data, secret, active)",
    responses=problem_responses(404, 412, 428),
)
async def update_webhook_subscription(
    subscription_id: uuid.UUID,
    data: WebhookSubscriptionUpdate,
    actor: Admin,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> WebhookSubscriptionRead:
    changed = await service.update(session, actor, subscription_id, data, if_match)
    set_etag(response, changed.version)
    return WebhookSubscriptionRead.model_validate(changed)


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a webhook subscription, with its deliveries (nothing more is sent)",
    responses=problem_responses(404),
)
async def delete_webhook_subscription(
    subscription_id: uuid.UUID, actor: Admin, session: WriteSession
) -> Response:
    await service.delete(session, actor, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{subscription_id}/deliveries",
    summary="The delivery log: each event for the subscription, its state and every try",
    description="Newest first. A try records when, the HTTP status the receiver answered "
    "(none: no answer), how long it took and the start of its answer.",
    responses=problem_responses(404, 422),
)
async def list_webhook_deliveries(
    subscription_id: uuid.UUID,
    actor: Admin,
    session: ReadSession,
    delivery_status: Annotated[
        WebhookDeliveryStatus | None, Query(alias="status", description="Only those in this state.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
) -> list[WebhookDeliveryRead]:
    return await service.deliveries(session, subscription_id, delivery_status, limit)
