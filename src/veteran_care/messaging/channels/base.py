"""What every channel takes and answers, and how an HTTP answer is read.

A channel sends one message and says what became of it: ``sent`` (the provider took it),
``retry`` (try again later: a timeout, a refused connection, a 5xx, 408 or 429) or ``failed``
(the provider refused it for good, e.g. a 4xx for a malformed number). The dispatcher records
each answer as an attempt and decides the message's fate.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from veteran_care.models import MessageChannel, MessageKind

Outcome = Literal["sent", "retry", "failed"]
RETRYABLE_STATUSES = frozenset({408, 425, 429})
ANSWER_KEPT = 500


@dataclass(frozen=True)
class Outgoing:
    """A message ready to leave: its id (the provider's deduplication key), whom it goes to
    (a phone number, or a commune code for the printed list), the text as sent, and the values
    of its template (for a provider that fills registered templates itself)."""

    id: uuid.UUID
    kind: MessageKind
    channel: MessageChannel
    recipient: str
    body: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    text: str
    http_status: int | None = None
    provider_id: str | None = None


class Channel(Protocol):
    async def send(self, message: Outgoing) -> Answer: ...


def international(phone: str) -> str:
    """0912345678 -> 84912345678 (the form gateways take); other forms unchanged but for +."""
    digits = phone.removeprefix("+")
    return "84" + digits[1:] if digits.startswith("0") else digits


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    judge: Callable[[httpx.Response], Answer],
    **options: Any,
) -> Answer:
    """POST ``body``; a 2xx is judged by ``judge`` (providers answer errors inside a 200)."""
    try:
        response = await client.post(url, json=body, **options)
    except httpx.TimeoutException as exc:
        return Answer("retry", f"no answer in time: {type(exc).__name__}")
    except httpx.TransportError as exc:
        return Answer("retry", f"not reached: {type(exc).__name__}: {exc}"[:ANSWER_KEPT])
    text = response.text[:ANSWER_KEPT]
    if response.is_success:
        return judge(response)
    if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
        return Answer("retry", text, response.status_code)
    return Answer("failed", text, response.status_code)


def json_of(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
