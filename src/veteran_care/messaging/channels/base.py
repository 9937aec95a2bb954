"""What every channel takes and answers, and how an HTTP answer is read.

A channel sends one message and says what became of it: ``sent`` (the provider took it),
``retry`` (try again later: a timeout, a refused connection, a 5xx, 408 or 429) or ``failed``
(the provider refused it for good, e.g. a 4xx for a malformed number). The dispatcher records
each answer as an attempt and decides the message's fate.
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import aiohttp

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


@dataclass(frozen=True)
class Reply:
    """A provider's HTTP answer, read in full: its status and its body as text."""

    status: int
    text: str

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; empty if it is not one."""
        try:
            found = json.loads(self.text)
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}


async def post_json(
    http: aiohttp.ClientSession,
    url: str,
    body: dict[str, Any],
    judge: Callable[[Reply], Answer],
    *,
    headers: dict[str, str] | None = None,
) -> Answer:
    """POST ``body``; a 2xx is judged by ``judge`` (providers answer errors inside a 200).
    Redirects are not followed: a 3xx is a refusal, as any other 4xx-like answer."""
    try:
        async with http.post(url, json=body, headers=headers, allow_redirects=False) as response:
            reply = Reply(response.status, (await response.read()).decode("utf-8", "replace"))
    except TimeoutError as exc:
        return Answer("retry", f"no answer in time: {type(exc).__name__}")
    except aiohttp.ClientError as exc:
        return Answer("retry", f"not reached: {type(exc).__name__}: {exc}"[:ANSWER_KEPT])
    text = reply.text[:ANSWER_KEPT]
    if 200 <= reply.status < 300:
        return judge(reply)
    if reply.status >= 500 or reply.status in RETRYABLE_STATUSES:
        return Answer("retry", text, reply.status)
    return Answer("failed", text, reply.status)
