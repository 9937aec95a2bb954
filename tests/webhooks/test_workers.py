"""Two delivery workers at once, each on connections of its own (on PostgreSQL the claim's
SKIP LOCKED decides between them): every event is delivered once, and no event about a person
is posted before the earlier ones about that person were delivered."""

import asyncio
import contextlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.faults.database import fresh_database
from tests.webhooks.receiver import Receiver
from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.models import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookSubscription,
)
from veteran_care.webhooks import events, signing
from veteran_care.webhooks.deliverer import opened

PEOPLE, EACH = 12, 8


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path, "webhooks") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


async def _seed(settings: Settings, url: str) -> dict[str, int]:
    """A subscription, and EACH events for each of PEOPLE people, written in turns; answers
    each delivery's seq by its id."""
    engine = create_engine(settings)
    try:
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker.begin() as session:
            session.add(
                WebhookSubscription(
                    url=url, events=[e.value for e in WebhookEvent], secret=signing.new_secret()
                )
            )
        people = [uuid.uuid4() for _ in range(PEOPLE)]
        for _ in range(EACH):
            async with sessionmaker.begin() as session:
                await events.emit(
                    session, [events.Event(WebhookEvent.beneficiary_updated, p) for p in people]
                )
        async with sessionmaker() as session:
            rows = await session.execute(select(WebhookDelivery.id, WebhookDelivery.seq))
            return {str(r.id): r.seq for r in rows}
    finally:
        await engine.dispose()


async def _deliver_all(settings: Settings, expected: int) -> dict[str, int]:
    engines = [create_engine(settings) for _ in range(2)]
    stop = asyncio.Event()
    try:
        async with contextlib.AsyncExitStack() as opening:
            workers = [
                await opening.enter_async_context(
                    opened(create_sessionmaker(e), settings, name=f"worker-{n}")
                )
                for n, e in enumerate(engines)
            ]
            running = [asyncio.create_task(w.run(stop)) for w in workers]
            counts: dict[str, int] = {}
            for _ in range(600):
                async with create_sessionmaker(engines[0])() as session:
                    rows = await session.execute(
                        select(WebhookDelivery.status, func.count()).group_by(
                            WebhookDelivery.status
                        )
                    )
                    counts = {str(s): n for s, n in rows}
                if counts.get(WebhookDeliveryStatus.delivered.value) == expected:
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.gather(*running)
            return counts
    finally:
        for engine in engines:
            await engine.dispose()


def test_two_workers_deliver_each_event_once_in_order_per_person(
    settings: Settings, empty_database: str, receiver: Receiver
) -> None:
    ours = settings.model_copy(
        update={
            "database_url": empty_database,
            "webhooks_retry_base_seconds": 0.001,
            "webhooks_max_attempts": 20,
            "messages_poll_seconds": 0.05,
            "messages_batch_size": 5,
        }
    )
    receiver.fail_every = 4  # every fourth request answered 500: tried again
    seqs = asyncio.run(_seed(ours, receiver.url))
    assert len(seqs) == PEOPLE * EACH
    counts = asyncio.run(_deliver_all(ours, len(seqs)))
    assert counts == {WebhookDeliveryStatus.delivered.value: len(seqs)}
    taken = Counter(r.headers["webhook-id"] for r in receiver.accepted())
    assert set(taken) == set(seqs)
    assert max(taken.values()) == 1  # none twice
    lines: dict[str, list[int]] = defaultdict(list)
    for received in receiver.received:  # failed tries too, in the order they came
        person = received.payload["data"]["beneficiary_id"]
        lines[person].append(seqs[received.headers["webhook-id"]])
    assert len(lines) == PEOPLE
    for line in lines.values():
        assert line == sorted(line)  # a later event never before an earlier one
    assert any(r.answered == 500 for r in receiver.received)
