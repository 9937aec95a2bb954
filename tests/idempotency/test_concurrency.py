"""Retries racing the first request, through a real uvicorn on 127.0.0.1.

PostgreSQL: a retry that arrives while the first request with its key is still in its
transaction gets 409 at once (the first holds the key's advisory lock). SQLite: writers take
turns, so a retry waits and replays. On both: a burst of identical retries writes exactly once.
"""

import asyncio
import time
from functools import partial
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import beneficiary_payload
from tests.idempotency.test_keys import HEADER, REPLAYED, key
from tests.scheduling.test_concurrency import Server, all_at_once, on_database, warm_up
from tests.test_conventions import assert_problem
from veteran_care.models import Beneficiary

pytestmark = pytest.mark.slow

BURST = 12


async def beneficiaries_with(database_url: str, national_id: str) -> int:
    async def work(connection: AsyncConnection) -> int:
        stmt = select(func.count()).where(Beneficiary.national_id == national_id)
        return int((await connection.execute(stmt)).scalar_one())

    return await on_database(database_url, work)


async def test_a_burst_of_retries_writes_once(api: httpx.AsyncClient, server: Server) -> None:
    await warm_up(api, BURST)
    payload = beneficiary_payload()
    headers = key()
    post = partial(api.post, "/api/v1/beneficiaries", json=payload, headers=headers)
    responses, _ = await all_at_once([post] * BURST)
    statuses = {r.status_code for r in responses}
    assert statuses <= {201, 409}, [r.text for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert len({r.content for r in created}) == 1
    assert sum(REPLAYED not in r.headers for r in created) == 1
    for refused in (r for r in responses if r.status_code == 409):
        assert_problem(refused, 409, "idempotency-key-in-use")
        assert refused.headers["retry-after"] == "1"
    assert await beneficiaries_with(server.database_url, payload["national_id"]) == 1
    again = await post()
    assert (again.status_code, again.headers[REPLAYED]) == (201, "true")
    assert again.content == created[0].content


async def _wait_for_lock_waiter(connection: asyncpg.Connection) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'veteran-care' AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    pytest.fail("the first request never reached its insert")


async def test_a_retry_while_the_first_is_running_gets_409(
    api: httpx.AsyncClient, server: Server, backend: str
) -> None:
    """The first request is held inside its transaction (its INSERT waits on a table lock held
    by this test) while its retry arrives."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: a concurrent retry waits and replays instead")
    dsn = make_url(server.database_url).set(drivername="postgresql")
    blocker = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=5)
    payload = beneficiary_payload()
    headers = key()
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE beneficiaries IN EXCLUSIVE MODE")
        first: asyncio.Task[Any] = asyncio.create_task(
            api.post("/api/v1/beneficiaries", json=payload, headers=headers)
        )
        try:
            await _wait_for_lock_waiter(blocker)
            retry = await api.post("/api/v1/beneficiaries", json=payload, headers=headers)
            assert_problem(retry, 409, "idempotency-key-in-use")
            # The first request is still held in its transaction.
            assert not first.done()
        finally:
            await transaction.rollback()
        original = await first
    finally:
        await blocker.close()
    assert original.status_code == 201, original.text
    replay = await api.post("/api/v1/beneficiaries", json=payload, headers=headers)
    assert (replay.status_code, replay.content) == (201, original.content)
    assert replay.headers[REPLAYED] == "true"
    assert await beneficiaries_with(server.database_url, payload["national_id"]) == 1


async def test_sqlite_retries_wait_and_replay(
    api: httpx.AsyncClient, server: Server, backend: str
) -> None:
    """SQLite: two requests with one key, sent together, both answer the first response."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL answers 409 to a concurrent retry (test above)")
    payload = beneficiary_payload()
    headers = {HEADER: key()[HEADER]}
    post = partial(api.post, "/api/v1/beneficiaries", json=payload, headers=headers)
    responses, _ = await all_at_once([post, post])
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].content == responses[1].content
    assert sorted(REPLAYED in r.headers for r in responses) == [False, True]
    assert await beneficiaries_with(server.database_url, payload["national_id"]) == 1
