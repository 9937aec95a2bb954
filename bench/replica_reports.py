"""Reports per second on a streaming replica, against the primary in the same run (issue 28).

A private primary (``initdb`` in a temporary folder, on a free port: the shared server on 5432 is
never touched) is migrated and filled with a province by ``reports.py``'s generator; a hot standby
is made from it with ``pg_basebackup -R`` and started on another port. Then, for the primary and
for the standby in turn:

1. *SQL alone*: ``--clients`` asyncpg connections run the JSON reports' own statements (captured
   from SQLAlchemy, as ``reports.py`` does) in turn for ``--seconds``: the reports per second the
   database server gives, with nothing of the API's cost.
2. *Through one API worker*: ``veteran-care serve`` (one uvicorn worker pinned to CPU 0, as the
   other benchmarks run it) with its reports on the primary, then with
   ``VETERAN_CARE_REPORT_DATABASE_URL`` naming the standby; ``--clients`` HTTP clients pull the
   same reports in turn for ``--seconds``.

Prints reports/s and the p50 of each, and the ratios replica / primary (the yardstick).

    .venv/bin/python bench/replica_reports.py                      # 20,000 people, about 3 min
    .venv/bin/python bench/replica_reports.py --beneficiaries 200000 --appointments 1000000 \\
        --checkups 1000000 --dispenses 100000                      # reports.py's sizes
"""

import argparse
import asyncio
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from booking import free_port, login, print_table, start_server, stop_server, wait_until_ready
from tests.faults.database import (
    PrivateServer,
    private_postgresql,
    standby_of,
    wait_caught_up,
)

from reports import Report, Window, capture, connect, generate, reports, run_statements
from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine
from veteran_care.kit.clock import today


def dsn(server: PrivateServer) -> str:
    return server.url.replace("+asyncpg", "")


async def load(
    clients: int, seconds: float, pull: Callable[[int, int], Awaitable[None]]
) -> tuple[float, list[float]]:
    """``clients`` loops calling ``pull(client, turn)`` for ``seconds``: (reports/s, timings)."""
    timings: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def loop(client: int) -> None:
        for turn in itertools.count():
            if time.perf_counter() >= stop_at:
                return
            began = time.perf_counter()
            await pull(client, turn)
            timings.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in range(clients)))
    return len(timings) / (time.perf_counter() - began), timings


async def sql_alone(target: str, items: Sequence[Report], args: argparse.Namespace) -> list[str]:
    connections = [
        await connect(target, plan_cache_mode="force_custom_plan") for _ in range(args.clients)
    ]
    try:

        async def pull(client: int, turn: int) -> None:
            await run_statements(
                connections[client], items[(client + turn) % len(items)].statements
            )

        await load(args.clients, 2, pull)  # warm-up: caches, prepared statements
        rate, timings = await load(args.clients, args.seconds, pull)
    finally:
        for connection in connections:
            await connection.close()
    return [f"{rate:.1f}", f"{1000 * statistics.median(timings):.1f}"]


async def through_api(
    database_url: str, replica_url: str | None, items: Sequence[Report], args: argparse.Namespace
) -> list[str]:
    if replica_url:
        os.environ["VETERAN_CARE_REPORT_DATABASE_URL"] = replica_url
    else:
        os.environ.pop("VETERAN_CARE_REPORT_DATABASE_URL", None)
    workdir = Path(tempfile.mkdtemp(prefix="vc-bench-replica-"))
    port = free_port()
    server = start_server(database_url, port, workdir)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            await wait_until_ready(client, server)
            await login(client)

            async def pull(number: int, turn: int) -> None:
                report = items[(number + turn) % len(items)]
                response = await client.get(report.path, params=report.params)
                if response.status_code != 200:
                    raise SystemExit(f"{report.path}: {response.status_code} {response.text}")
                if replica_url and "x-data-as-of" in response.headers:
                    raise SystemExit("the replica fell behind during the run")

            await load(args.clients, 2, pull)
            rate, timings = await load(args.clients, args.seconds, pull)
    finally:
        stop_server(server)
        shutil.rmtree(workdir, ignore_errors=True)
    return [f"{rate:.1f}", f"{1000 * statistics.median(timings):.1f}"]


async def measure(primary: PrivateServer, standby: PrivateServer, args: argparse.Namespace) -> None:
    on = today()
    window = Window(date(on.year - 1, 1, 1), on, on + timedelta(days=90))
    connection = await asyncpg.connect(dsn(primary))
    try:
        facts = await generate(connection, args, window)
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    print(
        f"{facts.beneficiaries:,} people, {facts.checkups:,} checkups, "
        f"{facts.appointments:,} appointments, {facts.dispenses:,} dispenses"
    )
    await wait_caught_up(primary, standby, seconds=600)
    items = [r for r in reports(window) if not r.export]
    engine = create_engine(Settings(database_url=primary.url, secret_key="x" * 64))
    try:
        for report in items:
            report.statements = await capture(engine, report)
    finally:
        await engine.dispose()

    load_before = os.getloadavg()[0]
    rows = []
    for name, server in (("primary", primary), ("replica", standby)):
        print(f"SQL alone on the {name}", flush=True)
        rows.append([f"SQL alone, {name}", *await sql_alone(dsn(server), items, args)])
    for name, replica in (("primary", None), ("replica", standby.url)):
        print(f"through one API worker, reports on the {name}", flush=True)
        rows.append(
            [f"one API worker, {name}", *await through_api(primary.url, replica, items, args)]
        )
    load_after = os.getloadavg()[0]

    print(
        f"\n{len(items)} JSON reports in turn ({', '.join(r.name for r in items)}); "
        f"{args.clients} clients, {args.seconds:.0f} s each; load average "
        f"{load_before:.1f} before, {load_after:.1f} after"
    )
    for first, second in ((0, 1), (2, 3)):
        ratio = float(rows[second][1]) / float(rows[first][1])
        rows[second].append(f"{ratio:.2f}")
        rows[first].append("1.00")
    print_table(["", "reports/s", "p50 ms", "reports/s vs the primary"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beneficiaries", type=int, default=20_000)
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--checkups", type=int, default=100_000)
    parser.add_argument("--dispenses", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=15.0, help="each measurement")
    args = parser.parse_args()
    with private_postgresql() as primary:
        migrate.upgrade(primary.url)
        standby = standby_of(primary)
        try:
            asyncio.run(measure(primary, standby, args))
        finally:
            standby.stop("immediate")
            shutil.rmtree(standby.folder, ignore_errors=True)
    print("\n$ " + " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    main()
