"""Speed benchmark (issue 7): the project against a bare Starlette + asyncpg baseline, same run.

    .venv/bin/python bench/speed.py [--people 200000] [--rounds 3] [--duration 8]

Needs ``wrk`` (``apt-get install wrk``), ``taskset`` and PostgreSQL (the default URL is
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``; the benchmark creates and drops its
own database ``vc_bench_speed``, and a SQLite file in a temporary folder).

1. A registry of ``--people`` beneficiaries (category, card valid today), the same rows in
   PostgreSQL and in SQLite, inserted with SQLAlchemy Core; an admin account and its token.
2. Four servers, started anew every round and up together (each loaded in turn), each a single
   uvicorn worker with uvloop and httptools pinned to CPU 0 (``taskset``); ``wrk`` pinned to
   CPU 1; PostgreSQL not pinned (it is shared).
   ``bare``: Starlette + asyncpg (bench/speed_apps.py), the same statements as the project's
   GET by id in one transaction; ``project`` on PostgreSQL, as ``veteran-care serve`` builds it;
   ``project without edge``: the same app without its middleware; ``project on SQLite``.
3. Rounds: every measurement ``--duration`` seconds after a warm-up, the two sides of each
   ratio one after the other; the table gives medians over rounds and the ratios the issue
   sets as targets. The two servers of the ``/healthz`` ratio have the same past: each serves
   the GET by id load before it (``project get``, ``edgeless get``). A server that has done
   database work answers ``/healthz`` about 3 % slower than one that has not, so measuring
   only the project's after it charged that to the edge (bench/README.md).
"""

import argparse
import asyncio
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

import wrk_load
from booking import admin_execute, batches, free_port, person_rows
from wrk_load import Result

from veteran_care import migrate
from veteran_care.audit import service as audit
from veteran_care.config import Settings
from veteran_care.db import create_engine, create_sessionmaker, utcnow
from veteran_care.identity.passwords import hash_secret
from veteran_care.identity.tokens import issue_access_token
from veteran_care.kit.pagination import encode_cursor
from veteran_care.models import (
    Account,
    AccountKind,
    Beneficiary,
    BeneficiaryCategoryMembership,
    InsuranceCard,
    Role,
)

BENCH = Path(__file__).parent
SECRET = secrets.token_hex(32)
ACCOUNT_ID = uuid.uuid4()
RANDOM_IDS_LUA = """
local ids, prefix, n = {}, "", 0
function init(args)
  prefix = args[2]
  for line in io.lines(args[1]) do n = n + 1; ids[n] = line end
  math.randomseed(2027 + math.floor(os.clock() * 1000))
end
function request()
  return wrk.format(nil, prefix .. ids[math.random(n)])
end
"""


@dataclass
class Measurement:
    name: str
    server: str
    path: str
    connections: int
    random_ids: bool = False
    results: list[Result] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in self.results)


# Data ------------------------------------------------------------------------------------------


Rows = dict[Any, list[dict[str, Any]]]


def registry(people: int) -> Rows:
    """People with a category and a card valid today."""
    rng = random.Random(2027)
    rows: Rows = {Beneficiary: [], BeneficiaryCategoryMembership: [], InsuranceCard: []}
    for serial in range(people):
        category = "veteran" if serial % 3 else "wounded-soldier"
        for model, row in zip(rows, person_rows(rng, serial, category), strict=True):
            rows[model].append(row)
    return rows


async def generate(database_url: str, rows: Rows, workdir: Path) -> None:
    """The same rows in either database, and the benchmark's admin account."""
    engine = create_engine(
        Settings(database_url=database_url, environment="test", secret_key=SECRET, data_dir=workdir)
    )
    try:
        async with engine.begin() as connection:
            for model, model_rows in rows.items():
                for batch in batches(model_rows, 2000):
                    await connection.execute(insert(model), batch)
            await connection.execute(
                insert(Account),
                {
                    "id": ACCOUNT_ID,
                    "kind": AccountKind.user,
                    "login": "bench-admin",
                    "display_name": "Benchmark",
                    "secret_hash": hash_secret(secrets.token_hex(16)),
                    "roles": [Role.admin.value],
                    "province_wide": True,
                    "active": True,
                    "version": 1,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                },
            )
        if database_url.startswith("postgresql"):
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()


async def deep_cursor(dsn: str, depth: int) -> str:
    """The cursor of the page that starts ``depth`` rows into the list sorted by name."""
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(
            "SELECT full_name, id FROM beneficiaries ORDER BY full_name, id OFFSET $1 LIMIT 1",
            depth - 1,
        )
    finally:
        await connection.close()
    return encode_cursor("full_name", row["full_name"], row["id"])


# Servers and load ------------------------------------------------------------------------------


def start(factory: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    uvicorn = shutil.which("uvicorn", path=str(Path(sys.executable).parent))
    if uvicorn is None:
        raise SystemExit("uvicorn is not installed next to this Python")
    command = [
        "taskset", "-c", "0", uvicorn, "--app-dir", str(BENCH), "--factory", factory,
        "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{factory} exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{factory} was not ready within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wrk(port: int, measurement: Measurement, seconds: float, token: str, workdir: Path) -> Result:
    arguments = ["-H", f"Authorization: Bearer {token}"]
    url = f"http://127.0.0.1:{port}"
    if measurement.random_ids:
        arguments += ["-s", str(workdir / "random_ids.lua"), url, "--"]
        arguments += [str(workdir / "ids.txt"), measurement.path]
    else:
        arguments.append(url + measurement.path)
    return wrk_load.run(arguments, connections=measurement.connections, seconds=seconds)


# Report ----------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def report(measurements: dict[str, Measurement], args: argparse.Namespace) -> None:
    rows = []
    for m in measurements.values():
        rounds = " ".join(f"{r.rps:.0f}" for r in m.results)
        rows.append(
            [
                m.name,
                str(m.connections),
                f"{m.median('rps'):.0f}",
                f"{m.median('p50'):.1f}",
                f"{m.median('p99'):.1f}",
                f"{m.median('p99') / m.median('p50'):.1f}",
                str(sum(r.errors for r in m.results)),
                str(sum(r.non_2xx for r in m.results)),
                rounds,
            ]
        )
    print()
    table(
        ["measurement", "conn", "req/s", "p50 ms", "p99 ms", "p99/p50", "errors", "non-2xx",
         "req/s per round"],
        rows,
    )  # fmt: skip

    def ratio(a: str, b: str, attribute: str = "rps") -> float:
        return measurements[a].median(attribute) / measurements[b].median(attribute)

    if len(measurements) < 9:
        print(f"load average before/after: {args.load_before} / {os.getloadavg()[0]:.2f}")
        return
    get = measurements["project get"]
    targets = [
        ("GET by id: project / bare throughput", ratio("project get", "bare get"), ">= 0.35"),
        ("GET by id: project p99 / p50", get.median("p99") / get.median("p50"), "<= 5"),
        (
            "GET by id: project timeouts and errors",
            float(sum(r.errors + r.non_2xx for r in get.results)),
            "== 0",
        ),
        ("/healthz: full stack / no edge", ratio("project healthz", "edgeless healthz"), ">= 0.85"),
        ("list: deep page / first page, p50", ratio("deep page", "first page", "p50"), "<= 1.5"),
        ("GET by id: SQLite / PostgreSQL req/s", ratio("sqlite get", "project get"), ">= 0.75"),
        ("GET by id: full stack / no edge", ratio("project get", "edgeless get"), None),
    ]  # fmt: skip
    print()
    verdicts = []
    for name, value, target in targets:
        if target is None:  # a figure to read, not a target
            verdicts.append([name, f"{value:.2f}", "", ""])
            continue
        operator, bound = target.split()
        met = {
            ">=": value >= float(bound),
            "<=": value <= float(bound),
            "==": value == float(bound),
        }[operator]
        verdicts.append([name, f"{value:.2f}", target, "met" if met else "MISSED"])
    table(["target", "value", "target", ""], verdicts)
    print(
        f"\n{args.people} people; {args.rounds} rounds x {args.duration:g} s per measurement "
        f"(medians); server on CPU 0, wrk on CPU 1, PostgreSQL unpinned; "
        f"load average before/after: {args.load_before} / {os.getloadavg()[0]:.2f}"
    )


# Main ------------------------------------------------------------------------------------------


def measurements(connections: int, deep: str) -> dict[str, Measurement]:
    """In the order they run in a round: the figures a ratio compares next to each other."""
    by_id = "/api/v1/beneficiaries/"
    found = [
        Measurement("bare get", "bare", by_id, connections, random_ids=True),
        Measurement("project get", "project", by_id, connections, random_ids=True),
        Measurement("edgeless get", "edgeless", by_id, connections, random_ids=True),
        Measurement("sqlite get", "sqlite", by_id, connections, random_ids=True),
        Measurement("bare healthz", "bare", "/healthz", connections),
        Measurement("project healthz", "project", "/healthz", connections),
        Measurement("edgeless healthz", "edgeless", "/healthz", connections),
        Measurement("first page", "project", "/api/v1/beneficiaries?limit=50", 8),
        Measurement("deep page", "project", f"/api/v1/beneficiaries?limit=50&cursor={deep}", 8),
    ]
    return {m.name: m for m in found}


def run(args: argparse.Namespace, pg_url: str, workdir: Path) -> None:
    sqlite_url = f"sqlite+aiosqlite:///{workdir / 'speed.db'}"
    began = time.perf_counter()
    rows = registry(args.people)
    for url in (pg_url, sqlite_url):
        migrate.upgrade(url)
        asyncio.run(generate(url, rows, workdir))
    ids = [str(row["id"]) for row in rows[Beneficiary]]
    del rows
    print(f"generated {args.people} people in each database in {time.perf_counter() - began:.0f} s")
    rng_ids = ids[:: max(1, len(ids) // 5000)]
    (workdir / "ids.txt").write_text("\n".join(rng_ids) + "\n")
    (workdir / "random_ids.lua").write_text(RANDOM_IDS_LUA)
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    deep = asyncio.run(deep_cursor(dsn, max(1, args.people - 1000)))
    token = issue_access_token(SECRET, ACCOUNT_ID, utcnow(), 240)
    common = {
        "VETERAN_CARE_ENVIRONMENT": "production",
        "VETERAN_CARE_SECRET_KEY": SECRET,
        "VETERAN_CARE_DATA_DIR": str(workdir),
        "VETERAN_CARE_ACCESS_TOKEN_MINUTES": "240",
        "BENCH_ACCOUNT_ID": str(ACCOUNT_ID),
        "BENCH_ASYNCPG_DSN": dsn,
    }
    if args.pool_size:
        common["VETERAN_CARE_DB_POOL_SIZE"] = str(args.pool_size)
        common["VETERAN_CARE_DB_MAX_OVERFLOW"] = "0"
        common["BENCH_POOL_SIZE"] = str(args.pool_size)
    servers = {
        "bare": ("speed_apps:bare", {**common, "VETERAN_CARE_DATABASE_URL": pg_url}),
        "project": ("speed_apps:project", {**common, "VETERAN_CARE_DATABASE_URL": pg_url}),
        "edgeless": (
            "speed_apps:project_without_edge",
            {**common, "VETERAN_CARE_DATABASE_URL": pg_url},
        ),
        "sqlite": ("speed_apps:project", {**common, "VETERAN_CARE_DATABASE_URL": sqlite_url}),
    }
    found = measurements(args.connections, deep)
    if args.only:
        found = {name: m for name, m in found.items() if name in args.only}
    used = [server for server in servers if any(m.server == server for m in found.values())]
    for round_number in range(args.rounds):
        # New processes every round (one process can run a few per cent faster or slower than
        # the next with the same code), all up at once, so that the two sides of each ratio
        # run one after the other, seconds apart, not minutes (the machine is shared).
        running: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        try:
            for server in used:
                factory, env = servers[server]
                port = free_port()
                running[server] = (start(factory, env, port, workdir / f"{server}.log"), port)
            for m in found.values():
                port = running[m.server][1]
                wrk(port, m, args.warm_up, token, workdir)
                m.results.append(wrk(port, m, args.duration, token, workdir))
                last = m.results[-1]
                print(
                    f"round {round_number + 1} {m.name:18} {last.rps:8.0f} req/s  "
                    f"p50 {last.p50:7.1f} ms  p99 {last.p99:7.1f} ms",
                    flush=True,
                )
        finally:
            for process, _ in running.values():
                stop(process)
    report(found, args)
    chain = asyncio.run(verify_chain(pg_url, workdir))
    print(
        f"audit chain on PostgreSQL after the run: {chain.rows} events, "
        f"{'intact' if chain.intact else f'BROKEN at {chain.first_broken_id}: {chain.reason}'}"
    )


async def verify_chain(database_url: str, workdir: Path) -> Any:
    """Every audited request above appended to the hash chain, concurrently: check it whole."""
    engine = create_engine(
        Settings(database_url=database_url, environment="test", secret_key=SECRET, data_dir=workdir)
    )
    try:
        async with create_sessionmaker(engine)() as session:
            return await audit.verify(session)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "VETERAN_CARE_BENCH_DATABASE_URL",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        ),
        help="any database on the PostgreSQL server to use (the benchmark makes its own)",
    )
    parser.add_argument("--database", default="vc_bench_speed")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8, help="seconds per measurement")
    parser.add_argument("--warm-up", type=float, default=2, help="seconds before each one")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--pool-size",
        type=int,
        default=0,
        help="connections per server (default: the project's 10 + 10 overflow, bare 20)",
    )
    parser.add_argument("--only", nargs="*", default=None, help="measurement names to run")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args()
    args.load_before = f"{os.getloadavg()[0]:.2f}"
    wrk_load.require()
    base = args.database_url
    pg_url = make_url(base).set(database=args.database).render_as_string(hide_password=False)
    asyncio.run(admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    asyncio.run(admin_execute(base, f'CREATE DATABASE "{args.database}"'))
    workdir = Path(tempfile.mkdtemp(prefix="vc_bench_speed_"))
    try:
        run(args, pg_url, workdir)
    finally:
        if args.keep:
            print(f"kept database {args.database} and {workdir}")
        else:
            asyncio.run(
                admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            )
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
