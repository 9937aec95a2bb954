"""The webhook API's shapes: subscriptions (the secret shown once), deliveries and attempts."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    UNIQUE_ITEMS,
    Bool,
    CreatedAt,
    InputSchema,
    OutputSchema,
    UpdatedAt,
    Version,
    examples,
)
from veteran_care.kit.text import Line200
from veteran_care.models import WebhookDeliveryStatus, WebhookEvent

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = (
    r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]"
    r"|6553[0-5]))?"
)
# Path and query: the characters RFC 3986 allows there (no `<`, `>`, `{`, `|`, spaces, ...).
_PATH = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})"
URL_PATTERN = rf"^https?://{_LABEL}(?:\.{_LABEL})*{_PORT}(?:/{_PATH}*)?$"
_B64 = "[A-Za-z0-9+/]"
# whsec_ and the base64 of 24 to 64 random bytes, as the Standard Webhooks specification asks.
SECRET_PATTERN = (
    rf"^whsec_(?:(?:{_B64}{{4}}){{8,20}}(?:{_B64}{{2}}==|{_B64}{{3}}=)?"
    rf"|(?:{_B64}{{4}}){{21}}(?:{_B64}{{2}}==)?)$"
)

Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        pattern=URL_PATTERN,
        json_schema_extra={"format": "uri"},
        description="Where the events are posted: an http or https address with a host name "
        "(no user name, no fragment).",
    ),
]
Events = Annotated[
    list[WebhookEvent],
    Field(min_length=1, max_length=len(WebhookEvent), json_schema_extra=UNIQUE_ITEMS),
]
Secret = Annotated[str, Field(pattern=SECRET_PATTERN, max_length=100)]

_EXAMPLE = {
    "url": "https://his.benhvien.example.vn/hooks/veteran-care",
    "description": "Hệ thống thông tin bệnh viện tỉnh",
    "events": ["checkup.booked", "checkup.cancelled"],
    "personal_data": False,
}


def _unique(events: list[WebhookEvent] | None) -> list[WebhookEvent] | None:
    if events is not None and len(set(events)) != len(events):
        raise InvalidValue("{name} must not repeat", name="events")
    return events


class WebhookSubscriptionCreate(InputSchema):
    """A system to tell about events. Without `secret`, one is generated; either way the answer
    to this request is the only one that shows it."""

    model_config = examples(_EXAMPLE)

    url: Url
    events: Events
    """The events it wants (see `WebhookEvent`)."""
    personal_data: Bool = False
    """true: the events carry the person's name, birth year, sex and commune, and dates,
    statuses and what was given; false (the default): ids only."""
    description: Line200 | None = None
    """Whose system it is, for the admins."""
    secret: Secret | SkipJsonSchema[None] = None
    """`whsec_` and the base64 of 24 to 64 random bytes; generated when left out."""
    active: Bool = True
    """false: nothing is written for it until it is active again."""

    _events = field_validator("events")(_unique)


class WebhookSubscriptionUpdate(InputSchema):
    """A partial change of a subscription (needs If-Match). A new `secret` signs the deliveries
    tried from then on."""

    model_config = examples({"events": ["checkup.booked"], "active": False})

    url: Url | SkipJsonSchema[None] = None
    events: Events | SkipJsonSchema[None] = None
    """Replaces the events it receives."""
    personal_data: Bool | SkipJsonSchema[None] = None
    """true: the person's details in the events written from now on."""
    description: Line200 | None = None
    """Whose system it is (null clears it)."""
    secret: Secret | SkipJsonSchema[None] = None
    """A new secret: `whsec_` and the base64 of 24 to 64 random bytes."""
    active: Bool | SkipJsonSchema[None] = None
    """false: no event is written for it until it is active again."""

    _events = field_validator("events")(_unique)


class WebhookSubscriptionRead(OutputSchema):
    """A subscription (its secret is never shown again)."""

    id: uuid.UUID
    """The subscription's id."""
    url: str
    """Where the events are posted."""
    events: list[WebhookEvent]
    """The events it receives."""
    personal_data: bool
    """true: events carry the person's details; false: ids only."""
    description: str | None
    """Whose system it is."""
    active: bool
    """false: no event is written for it."""
    created_at: CreatedAt
    updated_at: UpdatedAt
    version: Version


class WebhookSubscriptionCreated(WebhookSubscriptionRead):
    """The new subscription, with its secret: keep it now, it is not shown again."""

    secret: str
    """The key the receiver verifies signatures with (Standard Webhooks)."""


class WebhookAttemptRead(OutputSchema):
    """One try at delivering an event."""

    number: int
    """1 for the first try."""
    at: datetime
    """When the answer came, or the try gave up (UTC)."""
    outcome: str
    """delivered (2xx), retry (another answer, or none) or failed (the last try; 410)."""
    http_status: int | None
    """The receiver's HTTP status; none when it was not reached or did not answer."""
    duration_ms: int | None
    """How long the request took, in milliseconds."""
    answer: str | None
    """The start of the receiver's answer."""


class WebhookDeliveryRead(OutputSchema):
    """An event for a subscription: its state, its body as sent, each try."""

    id: uuid.UUID
    """The `webhook-id` header: the same at every try, for the receiver to deduplicate on."""
    seq: int
    """The order in which events were written."""
    event: WebhookEvent
    """The event."""
    status: WebhookDeliveryStatus
    """pending (waiting for its turn or its next try), delivered or failed."""
    attempts: int
    """Tries so far."""
    next_attempt_at: datetime
    """When it is due (again), while pending (UTC)."""
    delivered_at: datetime | None
    """When the receiver took it (UTC)."""
    status_detail: str | None
    """The start of the last answer, or why it failed."""
    created_at: datetime
    """When the change happened (UTC)."""
    body: dict[str, Any]
    """The JSON posted: `type`, `timestamp` and `data`."""
    tries: list[WebhookAttemptRead]
    """Each try, first first."""
