"""The queue's writes of a claimed batch: only where the claim is still the writer's, and
read back as written (the rows go to the driver whole, decision 0067)."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.messaging.conftest import Outbox, person_with_card
from tests.scheduling.conftest import book, day
from veteran_care.kit.clock import utcnow
from veteran_care.messaging import queue
from veteran_care.models import Message, MessageAttempt, MessageChannel, MessageStatus


async def _booked_message(
    client: httpx.AsyncClient, clinic: dict[str, Any], outbox: Outbox
) -> Message:
    """The confirmation of a checkup booked for a person with a phone."""
    person = await person_with_card(client, phone="0912345678")
    assert (await book(client, clinic, person, day(10))).status_code == 201
    [message] = await outbox(person["id"])
    return message


async def test_an_outcome_is_written_only_by_the_worker_that_holds_the_claim(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    message = await _booked_message(client, clinic, outbox)
    now = utcnow()
    async with sessionmaker.begin() as session:
        [row] = await queue.claim(
            session, "worker-a", now, timedelta(seconds=60), 10, list(MessageChannel), 6
        )
    assert row.id == message.id
    sent = {
        "status": MessageStatus.sent,
        "sent_at": now,
        "provider_message_id": "p-1",
        "status_detail": "Chữ có dấu, 'nháy' và ; chấm phẩy",
        "claimed_by": None,
        "claimed_until": None,
        "updated_at": now,
    }
    async with sessionmaker.begin() as session:
        await queue.write_many(session, "worker-b", [(message.id, sent)])
    [unchanged] = await outbox(message.beneficiary_id)
    assert (unchanged.status, unchanged.claimed_by) == (MessageStatus.pending, "worker-a")

    async with sessionmaker.begin() as session:
        await queue.write_many(session, "worker-a", [(message.id, sent)])
        await queue.log_attempts(
            session, [queue.Attempt(message.id, 1, "sent", 200, "queued")], "worker-a", now
        )
    [written] = await outbox(message.beneficiary_id)
    assert written.status == MessageStatus.sent
    assert (written.sent_at, written.updated_at) == (now, now)
    assert (written.provider_message_id, written.claimed_by) == ("p-1", None)
    assert written.status_detail == sent["status_detail"]
    async with sessionmaker() as session:
        [attempt] = await session.scalars(
            select(MessageAttempt).where(MessageAttempt.message_id == message.id)
        )
    assert (attempt.number, attempt.at, attempt.worker) == (1, now, "worker-a")
    assert (attempt.outcome, attempt.http_status, attempt.answer) == ("sent", 200, "queued")


async def test_a_retry_waits_until_its_time_then_is_claimed_again(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    message = await _booked_message(client, clinic, outbox)
    now, lease, channels = utcnow(), timedelta(seconds=60), list(MessageChannel)
    async with sessionmaker.begin() as session:
        assert len(await queue.claim(session, "w", now, lease, 10, channels, 6)) == 1
    retry = {"next_attempt_at": now + timedelta(seconds=30), "claimed_by": None}
    async with sessionmaker.begin() as session:
        await queue.write_many(session, "w", [(message.id, retry | {"claimed_until": None})])
    async with sessionmaker.begin() as session:
        later = now + timedelta(seconds=29)
        assert await queue.claim(session, "w", later, lease, 10, channels, 6) == []
    async with sessionmaker.begin() as session:
        later = now + timedelta(seconds=31)
        [again] = await queue.claim(session, "w", later, lease, 10, channels, 6)
    assert (again.id, again.attempts) == (message.id, 2)
