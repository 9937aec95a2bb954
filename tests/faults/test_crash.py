"""Crash durability: a real uvicorn on 127.0.0.1 under concurrent bookings and dispenses is
killed with SIGKILL mid-load, five times, and started again on the same database. After each
restart every write acknowledged with a 2xx is in the database, exactly once and whole; nothing
appears that was never asked for; every session's counter equals its appointments and stays
within capacity; every lot's quantity equals its ledger and is never negative.

The backend is the suite's: a SQLite file in WAL mode (the server's own file), or a new
PostgreSQL database next to ``VETERAN_CARE_TEST_DATABASE_URL``. Run with ``-s`` for figures.
"""

import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.faults.database import PrivateServer, fresh_database, private_postgresql
from tests.faults.server import ServerProcess
from tests.faults.workload import (
    LIMITS_REACHED,
    Acks,
    load,
    on_database,
    operator_token,
    pairs_for,
    prepare,
    receive,
    verify,
)

pytestmark = pytest.mark.slow

CYCLES = 5
DAYS_PER_CYCLE = 2
# Small enough that sessions fill and stock runs out within a cycle: the limits are exercised.
CAPACITY = 3
STOCK_PER_CYCLE = 24
KILL_AFTER_SECONDS = (1.5, 3.0)  # of load, drawn per cycle from a seeded generator
# SQLite serialises writers: fewer clients; the guarantees are the same.
WORKERS = {"postgresql": 10, "sqlite": 8}


@pytest.fixture
def database_url_for_crash(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path, "crash") as url:
        yield url


async def _journal_mode(url: str) -> str:
    async def read(connection: AsyncConnection) -> str:
        result = await connection.execute(text("PRAGMA journal_mode"))
        return str(result.scalar_one())

    return await on_database(url, read)


async def test_acknowledged_writes_survive_kill_9(
    backend: str, database_url_for_crash: str, tmp_path: Path
) -> None:
    started = time.perf_counter()
    rng = random.Random(20270727)
    server = ServerProcess(database_url_for_crash, tmp_path)
    restarts: list[float] = [server.start()]
    acks = Acks()
    checked: Counter[str] = Counter()
    kills_after: list[float] = []
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as admin:
            admin.headers["Authorization"] = f"Bearer {server.token()}"
            token = await operator_token(admin)
            admin.headers["Authorization"] = f"Bearer {token}"
            world = await prepare(
                admin, people=24, days=CYCLES * DAYS_PER_CYCLE + 1, capacity=CAPACITY
            )
        setup = time.perf_counter() - started
        for cycle in range(CYCLES):
            # A client per cycle: no keep-alive socket of a killed server is reused.
            async with httpx.AsyncClient(
                base_url=server.base_url,
                headers={"Authorization": f"Bearer {token}"},
                limits=limits,
                timeout=30,
            ) as api:
                await receive(api, world, acks, STOCK_PER_CYCLE)
                pairs = pairs_for(world, 1 + cycle * DAYS_PER_CYCLE, DAYS_PER_CYCLE, rng)
                stop = anyio.Event()
                kill_after = rng.uniform(*KILL_AFTER_SECONDS)
                kills_after.append(kill_after)

                async def killer(delay: float = kill_after, done: anyio.Event = stop) -> None:
                    await anyio.sleep(delay)
                    server.kill()
                    done.set()

                async with anyio.create_task_group() as group:
                    group.start_soon(killer)
                    await load(api, world, acks, pairs, rng, stop, workers=WORKERS[backend])
            restarts.append(server.start())
            checked = Counter(await verify(database_url_for_crash, world, acks))
        if backend == "sqlite":
            assert await _journal_mode(database_url_for_crash) == "wal"
    finally:
        server.stop()
    assert server.tracebacks() == 0, server.tail()
    acks.assert_refusals_are(*LIMITS_REACHED)
    kills = ", ".join(f"{k:.1f}" for k in kills_after)
    print(
        f"\n[crash/{backend}] {CYCLES} kill -9 cycles (after {kills} s of load); "
        f"acknowledged and found: {len(acks.checkups)} checkups, "
        f"{len(acks.dispenses)} dispenses, {len(acks.lots)} receipts; {acks.unanswered} requests "
        f"cut by the kill; refused: {dict(acks.refused)}; rows checked at the end: "
        f"{dict(checked)}; restart to ready {min(restarts[1:]):.1f}-{max(restarts[1:]):.1f} s; "
        f"setup {setup:.1f} s, total {time.perf_counter() - started:.1f} s"
    )


# The database crashes instead ------------------------------------------------------------------

DB_CRASH_CYCLES = 3


@pytest.fixture
def durable_private_server(backend: str) -> Iterator[PrivateServer]:
    if backend != "postgresql":
        pytest.skip("a database crash is a PostgreSQL scenario (runs in the PostgreSQL suite)")
    with private_postgresql(durable=True) as server:
        yield server


async def test_acknowledged_writes_survive_a_database_crash(
    durable_private_server: PrivateServer, tmp_path: Path
) -> None:
    """PostgreSQL (fsync on, a private server) is stopped with ``-m immediate`` under load (no
    checkpoint: it recovers from its WAL when started); the API process stays up throughout and
    serves again; every acknowledged write is there, once and whole."""
    started = time.perf_counter()
    database = durable_private_server
    rng = random.Random(1954)
    server = ServerProcess(database.url, tmp_path)
    server.start()
    acks = Acks()
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    recoveries = []
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as admin:
            admin.headers["Authorization"] = f"Bearer {server.token()}"
            token = await operator_token(admin)
            admin.headers["Authorization"] = f"Bearer {token}"
            world = await prepare(
                admin, people=16, days=DB_CRASH_CYCLES * DAYS_PER_CYCLE + 1, capacity=CAPACITY
            )
        async with httpx.AsyncClient(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {token}"},
            limits=limits,
            timeout=30,
        ) as api:
            for cycle in range(DB_CRASH_CYCLES):
                await receive(api, world, acks, STOCK_PER_CYCLE)
                pairs = pairs_for(world, 1 + cycle * DAYS_PER_CYCLE, DAYS_PER_CYCLE, rng)
                stop = anyio.Event()

                async def crasher(
                    delay: float = rng.uniform(1.0, 2.0), done: anyio.Event = stop
                ) -> None:
                    await anyio.sleep(delay)
                    await anyio.to_thread.run_sync(database.stop, "immediate")
                    await anyio.sleep(0.5)  # requests meet the dead database
                    done.set()

                async with anyio.create_task_group() as group:
                    group.start_soon(crasher)
                    await load(api, world, acks, pairs, rng, stop, workers=WORKERS["postgresql"])
                await anyio.to_thread.run_sync(database.start)
                up = time.perf_counter()
                while (await api.get("/readyz")).status_code != 200:
                    assert time.perf_counter() - up < 30, "the API did not recover"
                    await anyio.sleep(0.1)
                recoveries.append(time.perf_counter() - up)
                checked = await verify(database.url, world, acks)
    finally:
        server.stop()
    assert server.starts == 1  # the API process was never restarted
    acks.assert_refusals_are(
        *LIMITS_REACHED, "booking 503 database-unavailable", "dispense 503 database-unavailable"
    )
    print(
        f"\n[db crash] {DB_CRASH_CYCLES} immediate stops of PostgreSQL under load; acknowledged "
        f"and found: {len(acks.checkups)} checkups, {len(acks.dispenses)} dispenses, "
        f"{len(acks.lots)} receipts; answers: {dict(acks.refused)}; {acks.unanswered} cut; "
        f"rows checked {checked}; API ready again {max(recoveries):.1f} s at most after the "
        f"database started; total {time.perf_counter() - started:.1f} s"
    )
