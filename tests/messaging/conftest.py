"""A clinic, people with cards, and reading the outbox."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.scheduling.conftest import clinic, make_clinic  # noqa: F401  (fixtures)
from veteran_care.models import Message

Outbox = Callable[[Any], Awaitable[list[Message]]]


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
