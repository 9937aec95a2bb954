"""Backup and restore under write load: `veteran-care backup` runs while bookings and
dispenses go on through a real uvicorn; the backup is restored into a fresh database (SQLite:
the file; PostgreSQL: ``pg_restore`` into a new database); every write acknowledged before the
backup began is there, whole; seat counters and stock ledgers hold; the schema is at head and
``veteran-care audit verify`` finds the audit chain intact.
"""

import asyncio
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.faults.database import fresh_database, skip_or_fail
from tests.faults.server import ServerProcess
from tests.faults.workload import (
    LIMITS_REACHED,
    Acks,
    load,
    operator_token,
    pairs_for,
    prepare,
    receive,
    verify,
)
from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine

pytestmark = pytest.mark.slow

LOAD_BEFORE_SECONDS = 1.5
LOAD_AFTER_SECONDS = 1.0
WORKERS = {"postgresql": 12, "sqlite": 6}


@pytest.fixture
def source_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path, "live") as url:
        yield url


@pytest.fixture
def restored_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path, "restored") as url:
        yield url


def _cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which("veteran-care", path=str(Path(sys.executable).parent))
    assert command
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    env["VETERAN_CARE_DATABASE_URL"] = database_url
    return subprocess.run([command, *args], env=env, capture_output=True, text=True, check=False)


def _restore(backend: str, backup: Path, restored_url: str) -> None:
    """What the README tells an operator to do."""
    if backend == "sqlite":
        target = Path(make_url(restored_url).database or "")
        shutil.copyfile(backup, target)  # with the API stopped; here a new file
        return
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        skip_or_fail("pg_restore is not installed")
    libpq = make_url(restored_url).set(drivername="postgresql").render_as_string(False)
    done = subprocess.run(
        [str(pg_restore), "--exit-on-error", "--no-owner", f"--dbname={libpq}", str(backup)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def _revisions(url: str) -> set[str]:
    engine = create_engine(Settings(database_url=url))
    try:
        return await migrate.current_revisions(engine)
    finally:
        await engine.dispose()


async def test_backup_under_load_restores_every_acknowledged_write(
    backend: str, source_url: str, restored_url: str, tmp_path: Path
) -> None:
    started = time.perf_counter()
    rng = random.Random(27)
    server = ServerProcess(source_url, tmp_path)
    server.start()
    acks = Acks()
    backup = tmp_path / ("backup.db" if backend == "sqlite" else "backup.dump")
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as api:
            api.headers["Authorization"] = f"Bearer {server.token()}"
            api.headers["Authorization"] = f"Bearer {await operator_token(api)}"
            world = await prepare(api, people=20, days=4, capacity=6)
            await receive(api, world, acks, 1000)  # enough that dispenses go on all along
            pairs = pairs_for(world, 1, 3, rng)
            stop = anyio.Event()

            async def back_up() -> None:
                nonlocal before, backup_seconds
                await anyio.sleep(LOAD_BEFORE_SECONDS)
                # Acknowledged before the backup began: these must be in it.
                before = Acks(
                    checkups=dict(acks.checkups),
                    dispenses=dict(acks.dispenses),
                    lots=dict(acks.lots),
                    asked_pairs=acks.asked_pairs,
                    asked_tags=acks.asked_tags,
                )
                began = time.perf_counter()
                done = await asyncio.to_thread(_cli, "backup", str(backup), database_url=source_url)
                backup_seconds = time.perf_counter() - began
                assert done.returncode == 0, done.stderr
                await anyio.sleep(LOAD_AFTER_SECONDS)
                stop.set()

            before, backup_seconds = Acks(), 0.0
            async with anyio.create_task_group() as group:
                group.start_soon(back_up)
                await load(api, world, acks, pairs, rng, stop, workers=WORKERS[backend])
    finally:
        server.stop()
    assert acks.unanswered == 0
    acks.assert_refusals_are(*LIMITS_REACHED)
    assert len(acks.checkups) > len(before.checkups) or len(acks.dispenses) > len(
        before.dispenses
    ), "no write went on during and after the backup"

    _restore(backend, backup, restored_url)
    checked = await verify(restored_url, world, before)
    assert await _revisions(restored_url) == migrate.head_revisions()
    audit = _cli("audit", "verify", database_url=restored_url)
    assert audit.returncode == 0, audit.stderr
    print(
        f"\n[backup/{backend}] backup taken in {backup_seconds:.1f} s under load "
        f"({backup.stat().st_size} bytes); acknowledged before it: {len(before.checkups)} "
        f"checkups, {len(before.dispenses)} dispenses, {len(before.lots)} receipts, all "
        f"restored (of {len(acks.checkups)}/{len(acks.dispenses)} acknowledged in all); "
        f"restored rows checked {checked}; {audit.stdout.strip()}; "
        f"total {time.perf_counter() - started:.1f} s"
    )
