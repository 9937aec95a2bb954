"""A receiver on 127.0.0.1, a deliverer that tries again at once, and subscribing to it."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.scheduling.conftest import clinic, make_clinic  # noqa: F401  (fixtures)
from tests.webhooks.receiver import Receiver
from veteran_care.config import Settings
from veteran_care.webhooks.deliverer import Deliverer, opened

SUBSCRIPTIONS = "/api/v1/webhook-subscriptions"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


@pytest.fixture
def webhook_settings(settings: Settings) -> Settings:
    """Three tries, the next one due at once."""
    return settings.model_copy(
        update={
            "webhooks_retry_base_seconds": 0.001,
            "webhooks_max_attempts": 3,
            "webhooks_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
async def deliverer(
    sessionmaker: async_sessionmaker[AsyncSession], webhook_settings: Settings
) -> AsyncIterator[Deliverer]:
    async with opened(sessionmaker, webhook_settings, name="test-deliverer") as found:
        yield found


async def subscribe(client: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    """A subscription to ``url`` (every event unless told), with its secret."""
    body = {"url": url, "events": fields.pop("events", ALL_EVENTS), **fields}
    response = await client.post(SUBSCRIPTIONS, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def drain(deliverer: Deliverer, rounds: int = 30) -> int:
    """Rounds until three in a row find nothing (a retry is due a millisecond later in these
    settings); answers how many rounds claimed something."""
    busy = idle = 0
    for _ in range(rounds):
        if await deliverer.round():
            busy, idle = busy + 1, 0
        else:
            idle += 1
            if idle == 3:
                break
        await asyncio.sleep(0.01)
    return busy


ALL_EVENTS = [
    "checkup.booked",
    "checkup.cancelled",
    "appointment.status_changed",
    "result.recorded",
    "dispense.recorded",
    "beneficiary.updated",
]
