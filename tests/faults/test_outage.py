"""Database outage: the API serves on a PostgreSQL server of the test's own (started in a
temporary folder on a free port; the shared server is never touched). The server is stopped
under load: every request is answered, quickly, with 503 problem+json and Retry-After (never a
500, never a hang); /healthz stays 200 and /readyz says 503. The server is started again: the
same API process serves again, with nothing lost. Connections killed by the database
(``pg_terminate_backend``) are replaced without an error reaching a client.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import httpx
import pytest

from tests.factories import beneficiary_payload
from tests.faults.database import PrivateServer, private_postgresql
from tests.faults.server import ServerProcess
from tests.faults.workload import operator_token

pytestmark = pytest.mark.slow

# Bounds a client can rely on: an answer within ANSWER_SECONDS while the database is down
# (connection refused is immediate; an unreachable host waits for the 5 s connect timeout),
# /readyz within READY_SECONDS (its own 3 s budget), service again within RECOVERY_SECONDS of
# the database accepting connections.
ANSWER_SECONDS = 6.0
READY_SECONDS = 4.0
RECOVERY_SECONDS = 10.0
BACKGROUND_READERS = 6  # so that some requests are in flight when the database stops


@pytest.fixture
def private_server(backend: str) -> Iterator[PrivateServer]:
    if backend != "postgresql":
        pytest.skip("a database outage is a PostgreSQL scenario (runs in the PostgreSQL suite)")
    with private_postgresql() as server:
        yield server


def _is_problem_503(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers.get("content-type", "").startswith("application/problem+json")
        and response.headers.get("retry-after", "").isdigit()
        and response.json().get("status") == 503
    )


async def _timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await call
    return response, time.perf_counter() - started


async def _terminate_app_connections(url: str) -> int:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=5)
    try:
        # With a timeout, pg_terminate_backend waits until the backend has exited (its socket
        # closed): the API's driver then sees the close before the next request. A connection
        # used within the instant between the signal and the close fails once (503; README).
        rows = await connection.fetch(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE application_name = 'veteran-care'"
        )
        await asyncio.sleep(0.1)  # the API's event loop reads the closed sockets
        return len(rows)
    finally:
        await connection.close()


async def test_api_answers_503_while_the_database_is_down_and_recovers(
    private_server: PrivateServer, tmp_path: Path
) -> None:
    server = ServerProcess(private_server.url, tmp_path)
    server.start()
    statuses: Counter[int] = Counter()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as api:
            api.headers["Authorization"] = f"Bearer {server.token()}"
            api.headers["Authorization"] = f"Bearer {await operator_token(api)}"
            created = await api.post("/api/v1/beneficiaries", json=beneficiary_payload())
            assert created.status_code == 201, created.text
            person = created.json()["id"]

            # Connections killed under the pool: replaced on checkout, no client sees it.
            killed = await _terminate_app_connections(private_server.url)
            assert killed >= 1
            for _ in range(3):
                again = await api.get(f"/api/v1/beneficiaries/{person}")
                assert again.status_code == 200, again.text

            # Reads in the background all along: only 200 or 503, never a 500 or a hang.
            stop = anyio.Event()

            async def background() -> None:
                while not stop.is_set():
                    response, seconds = await _timed(api.get(f"/api/v1/beneficiaries/{person}"))
                    statuses[response.status_code] += 1
                    assert seconds <= ANSWER_SECONDS, (response.status_code, seconds)
                    await anyio.sleep(0.01)

            async with anyio.create_task_group() as group:
                for _ in range(BACKGROUND_READERS):
                    group.start_soon(background)
                await anyio.sleep(0.3)
                down_at = time.perf_counter()
                await asyncio.to_thread(private_server.stop, "fast")

                calls = [
                    api.get(f"/api/v1/beneficiaries/{person}"),
                    api.get("/api/v1/beneficiaries", params={"q": "lo van"}),
                    api.post("/api/v1/beneficiaries", json=beneficiary_payload()),
                    *[api.get(f"/api/v1/beneficiaries/{person}") for _ in range(20)],
                ]
                answers = await asyncio.gather(*(_timed(call) for call in calls))
                for response, seconds in answers:
                    assert _is_problem_503(response), (response.status_code, response.text)
                    assert seconds <= ANSWER_SECONDS, seconds
                slowest = max(seconds for _, seconds in answers)
                ready, ready_seconds = await _timed(api.get("/readyz"))
                assert _is_problem_503(ready), ready.text
                assert ready_seconds <= READY_SECONDS
                health = await api.get("/healthz")
                assert health.status_code == 200
                outage = time.perf_counter() - down_at

                await asyncio.to_thread(private_server.start)
                up_at = time.perf_counter()
                while True:
                    response = await api.get(f"/api/v1/beneficiaries/{person}")
                    if response.status_code == 200:
                        break
                    assert _is_problem_503(response), response.text
                    assert time.perf_counter() - up_at <= RECOVERY_SECONDS, "no recovery"
                    await anyio.sleep(0.1)
                recovery = time.perf_counter() - up_at
                stop.set()

            assert (await api.get("/readyz")).status_code == 200
            written = await api.post("/api/v1/beneficiaries", json=beneficiary_payload())
            assert written.status_code == 201, written.text
    finally:
        server.stop()
    assert set(statuses) <= {200, 503}, statuses
    assert server.starts == 1  # recovered without a restart
    print(
        f"\n[outage] {len(answers)} requests during the outage: all 503 problem+json with "
        f"Retry-After, slowest {slowest * 1000:.0f} ms; /readyz 503 in {ready_seconds * 1000:.0f} "
        f"ms; outage {outage:.1f} s; served again {recovery:.2f} s after PostgreSQL was up; "
        f"background reads {dict(statuses)}; {killed} terminated connections replaced unseen"
    )
