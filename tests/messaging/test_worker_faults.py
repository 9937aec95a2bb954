"""The worker killed with SIGKILL in the middle of sending loses no message, and a provider
that deduplicates on the message id sends none twice; two workers on PostgreSQL share the queue
without asking the gateway twice for any message. Real processes, a real gateway on 127.0.0.1."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import conftest
from tests.faults.database import fresh_database
from tests.messaging.gateway import Gateway, wait_for
from tests.messaging.worker_process import WorkerProcess, seed, statuses
from veteran_care import migrate
from veteran_care.models import MessageStatus


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path, "messages") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def stand_in() -> Iterator[Gateway]:
    found = Gateway().start()
    yield found
    found.stop()


def all_sent(url: str, count: int, gateway: Gateway) -> bool:
    """The gateway took every message, then the database says so (the cheap check first:
    polling the database busily would slow the stand-in, in this process, down)."""
    if len(gateway.accepted) < count:
        return False
    return statuses(url).get(MessageStatus.sent, 0) == count


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["answered-not-recorded", "no-answer"])
def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    moment: str, empty_database: str, stand_in: Gateway, tmp_path: Path
) -> None:
    count = 300
    ids = {str(i) for i in seed(empty_database, count)}
    settings = {"VETERAN_CARE_MESSAGES_BATCH_SIZE": "50", "VETERAN_CARE_MESSAGES_CONCURRENCY": "5"}
    if moment == "no-answer":  # five sends (the concurrency) under way, none answered
        stand_in.mode, asked = "hang", 5
    else:  # the gateway takes messages the worker dies before recording
        stand_in.delay, asked = 0.01, 60
    first = WorkerProcess(empty_database, stand_in.url, tmp_path, **settings).start()
    try:
        assert wait_for(lambda: len(stand_in.received) >= asked), first.log()
        first.kill()
    finally:
        first.stop()
    asked_before = len(stand_in.received)
    stand_in.mode, stand_in.delay = "ok", 0.0
    stand_in.released.set()
    second = WorkerProcess(empty_database, stand_in.url, tmp_path, **settings).start()
    try:
        assert wait_for(lambda: all_sent(empty_database, count, stand_in), 60), second.log()
    finally:
        second.stop()
    delivered = stand_in.delivered()
    assert set(delivered) == ids, "a message was lost, or sent under another id"
    assert sum(delivered.values()) == count
    assert asked_before < len(stand_in.received)  # the second worker took over
    assert statuses(empty_database) == {MessageStatus.sent: count}


@pytest.mark.slow
def test_two_workers_on_postgresql_send_each_message_once(
    backend: str, empty_database: str, stand_in: Gateway, tmp_path: Path
) -> None:
    if backend != "postgresql":  # CI runs the suite on PostgreSQL too: it runs there
        pytest.skip(
            f"several workers share the queue on PostgreSQL only; set {conftest.TEST_URL_VARIABLE}"
        )
    full = os.environ.get("CI") or os.environ.get("VETERAN_CARE_SLOW_TESTS")
    count = 10_000 if full else 1_000
    ids = {str(i) for i in seed(empty_database, count)}
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
    env = {"VETERAN_CARE_MESSAGES_CONCURRENCY": "4"}  # the stand-in slows past a few
    workers = [WorkerProcess(empty_database, stand_in.url, f, **env).start() for f in folders]
    try:
        assert wait_for(lambda: all_sent(empty_database, count, stand_in), 600), workers[0].log()
    finally:
        for worker in workers:
            worker.stop()
    assert len(stand_in.received) == count, "the gateway was asked twice for a message"
    assert set(stand_in.delivered()) == ids
