"""A clinic, people with cards, and reading the outbox."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.messaging.gateway import Gateway
from tests.scheduling.conftest import clinic, make_clinic  # noqa: F401  (fixtures)
from tests.scheduling.conftest import person_with_card as person_without_consent
from veteran_care.config import Settings, SmsProvider
from veteran_care.kit.clock import today
from veteran_care.messaging.dispatcher import Dispatcher, opened
from veteran_care.models import Message

Outbox = Callable[[Any], Awaitable[list[Message]]]


async def person_with_card(
    client: httpx.AsyncClient, *, channel: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """A person with a card who has consented to be contacted (Decree 13/2023: nobody is
    messaged without), by SMS if they have a phone, else through the printed list."""
    person = await person_without_consent(client, **overrides)
    chosen = channel or ("sms" if person.get("phone") else "printed-list")
    response = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/consents",
        json={"status": "given", "decided_on": today().isoformat(), "channel": chosen},
    )
    assert response.status_code == 201, response.text
    return person


@pytest.fixture
def outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> Outbox:
    """The messages about a person (oldest first), as the database has them now."""

    async def read(beneficiary_id: Any) -> list[Message]:
        async with sessionmaker() as session:
            found = await session.scalars(
                select(Message)
                .where(Message.beneficiary_id == uuid.UUID(str(beneficiary_id)))
                .order_by(Message.created_at, Message.kind)
            )
            return list(found)

    return read


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    found = Gateway().start()
    yield found
    found.stop()


@pytest.fixture
def sms_settings(settings: Settings, gateway: Gateway) -> Settings:
    """Messages to phones by SMS through the stand-in (a generic gateway), retried at once."""
    return settings.model_copy(
        update={
            "sms_provider": SmsProvider.generic,
            "sms_url": gateway.url,
            "messages_retry_base_seconds": 0.001,
            "messages_max_attempts": 3,
            "gateway_timeout_seconds": 2.0,
        }
    )


@pytest.fixture
async def dispatcher(
    sessionmaker: async_sessionmaker[AsyncSession], sms_settings: Settings
) -> AsyncIterator[Dispatcher]:
    async with opened(sessionmaker, sms_settings, name="test-worker") as found:
        yield found
