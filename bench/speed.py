"""Speed benchmark (issue 7): the project against a bare Starlette + asyncpg baseline, same run.

    .venv/bin/python bench/speed.py [--people 200000] [--rounds 3] [--duration 8]
    .venv/bin/python bench/speed.py --tree before=../before --tree after=.

Needs ``wrk`` (``apt-get install wrk``), ``taskset`` and PostgreSQL (the default URL is
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``; the benchmark creates and drops its
own database ``vc_bench_speed``, and a SQLite file in a temporary folder).

1. A registry of ``--people`` beneficiaries (category, card valid today), the same rows in
   PostgreSQL and (when a SQLite measurement runs) in SQLite, inserted with SQLAlchemy Core; an
   admin account and its token.
2. Servers, started anew every round and up together (each loaded in turn), each a single
   uvicorn worker with uvloop and httptools pinned to CPU 0 (``taskset``); ``wrk`` pinned to
   CPU 1; PostgreSQL not pinned (it is shared).
   ``bare``: Starlette + asyncpg (bench/speed_apps.py), the same statements as the project's
   GET by id in one transaction; ``project`` on PostgreSQL, as ``veteran-care serve`` builds it;
   ``project without edge``: the same app without its middleware; ``project on SQLite``.
3. Rounds: every measurement ``--duration`` seconds after a warm-up, the two sides of each
   ratio one after the other; the table gives medians over rounds and the ratios the issues
   set as targets. The two servers of the ``/healthz`` figure have the same past: each serves
   the GET by id load before it (``project get``, ``edgeless get``). A server that has done
   database work answers ``/healthz`` about 3 % slower than one that has not.

Before and after (issue 21): ``--tree NAME=PATH``, repeated (bench/trees.py). Each tree's servers
run with its own environment (``PATH/.venv/bin/uvicorn``) and its own
``PATH/bench/speed_apps.py``, on the same database, generated once by this script's tree. Every
round starts all the trees' servers anew; each measurement runs for every tree in turn, in an
order that alternates (A B, then B A, ...: no tree always goes first). By default it measures
GET by id with and without the edge (``project get``, ``edgeless get``); ``--bare`` adds the
bare baseline (served by this script's tree, one for all), ``--only`` chooses the measurements.
The tables give each tree's medians and each tree's ratios to the first tree named.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).parent))

import trees as code_trees
import wrk_load
from booking import admin_execute, batches, free_port, person_rows
from trees import Tree
from wrk_load import Result

from veteran_care import migrate
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
# What a comparison of trees measures unless told (--only): the figures of issue 21's targets.
TREE_DEFAULT = ("project get", "edgeless get")


@dataclass(frozen=True)
class Kind:
    """One measurement: a load on one kind of server."""

    name: str
    server: str  # bare, project, edgeless or sqlite
    path: str
    connections: int
    random_ids: bool = False


@dataclass
class Measurement:
    kind: Kind
    tree: Tree  # whose server it loads (bare: this script's tree, one for all)
    results: list[Result] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the server's µs of CPU per request

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def label(self) -> str:
        return f"{self.kind.name} [{self.tree.name}]" if self.tree.name else self.kind.name

    def median(self, attribute: str) -> float:
        if attribute == "cpu":
            return statistics.median(self.cpu)
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


async def generate(database_url: str, rows: Rows) -> None:
    """The same rows in either database, and the benchmark's admin account. A plain engine:
    the project's own engine factory moved in issue 21, and inserting needs none of it."""
    engine = create_async_engine(database_url)
    now = datetime.now(UTC)
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
                    "created_at": now,
                    "updated_at": now,
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


def start(
    tree: Tree, factory: str, env: dict[str, str], port: int, log: Path
) -> subprocess.Popen[bytes]:
    """``factory`` of the tree's bench/speed_apps.py, served by the tree's own uvicorn."""
    command = [
        "taskset", "-c", "0", tree.tool("uvicorn"), "--app-dir", str(tree.bench),
        "--factory", factory, "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop",
        "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env=tree.env(env), cwd=log.parent, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"{factory} ({tree.label}) exited with {process.returncode}; see {log}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{factory} ({tree.label}) was not ready within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wrk(port: int, kind: Kind, seconds: float, token: str, workdir: Path) -> Result:
    arguments = ["-H", f"Authorization: Bearer {token}"]
    url = f"http://127.0.0.1:{port}"
    if kind.random_ids:
        arguments += ["-s", str(workdir / "random_ids.lua"), url, "--"]
        arguments += [str(workdir / "ids.txt"), kind.path]
    else:
        arguments.append(url + kind.path)
    return wrk_load.run(arguments, connections=kind.connections, seconds=seconds)


# Report ----------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


Target = tuple[str, float, str | None]  # name, value, target (None: a figure to read)


def tree_targets(found: dict[str, Measurement], bare: Measurement | None, tag: str) -> list[Target]:
    """The targets of one tree's measurements (those that ran)."""

    def ratio(a: str, b: str, attribute: str = "rps") -> float:
        return found[a].median(attribute) / found[b].median(attribute)

    targets: list[Target] = []
    get = found.get("project get")
    if get and bare:
        rps = get.median("rps") / bare.median("rps")
        targets.append((f"GET by id: project / bare throughput{tag}", rps, ">= 0.35"))
    if get:
        p99 = get.median("p99") / get.median("p50")
        failed = float(sum(r.errors + r.non_2xx for r in get.results))
        targets.append((f"GET by id: project p99 / p50{tag}", p99, "<= 5"))
        targets.append((f"GET by id: project timeouts and errors{tag}", failed, "== 0"))
    if get and "edgeless get" in found:
        edge = ratio("project get", "edgeless get")
        targets.append((f"GET by id: with the edge / without (issue 21){tag}", edge, ">= 0.85"))
        cpu = found["edgeless get"].median("cpu") / get.median("cpu")
        targets.append((f"GET by id: server CPU per request, without / with{tag}", cpu, None))
    if "project healthz" in found and "edgeless healthz" in found:
        healthz = ratio("project healthz", "edgeless healthz")
        targets.append((f"/healthz: with the edge / without (retired){tag}", healthz, None))
    if "first page" in found and "deep page" in found:
        deep = ratio("deep page", "first page", "p50")
        targets.append((f"list: deep page / first page, p50{tag}", deep, "<= 1.5"))
    if get and "sqlite get" in found:
        sqlite = ratio("sqlite get", "project get")
        targets.append((f"GET by id: SQLite / PostgreSQL req/s{tag}", sqlite, ">= 0.75"))
    return targets


def verdicts(targets: list[Target]) -> None:
    rows = []
    for name, value, target in targets:
        if target is None:
            rows.append([name, f"{value:.2f}", "", ""])
            continue
        operator, bound = target.split()
        met = {
            ">=": value >= float(bound),
            "<=": value <= float(bound),
            "==": value == float(bound),
        }[operator]
        rows.append([name, f"{value:.2f}", target, "met" if met else "MISSED"])
    if rows:
        print()
        table(["target", "value", "target", ""], rows)


def report(found: list[Measurement], trees: list[Tree], args: argparse.Namespace) -> None:
    rows = []
    for m in found:
        rounds = " ".join(f"{r.rps:.0f}" for r in m.results)
        rows.append(
            [
                m.label,
                str(m.kind.connections),
                f"{m.median('rps'):.0f}",
                f"{m.median('p50'):.1f}",
                f"{m.median('p99'):.1f}",
                f"{m.median('p99') / m.median('p50'):.1f}",
                f"{m.median('cpu'):.0f}",
                str(sum(r.errors for r in m.results)),
                str(sum(r.non_2xx for r in m.results)),
                rounds,
            ]
        )
    print()
    table(
        ["measurement", "conn", "req/s", "p50 ms", "p99 ms", "p99/p50", "µs CPU/req", "errors",
         "non-2xx", "req/s per round"],
        rows,
    )  # fmt: skip

    bare = next((m for m in found if m.kind.server == "bare" and m.name == "bare get"), None)
    targets: list[Target] = []
    for tree in trees:
        mine = {m.name: m for m in found if m.tree == tree and m.kind.server != "bare"}
        targets += tree_targets(mine, bare, f" [{tree.name}]" if tree.name else "")
    if len(trees) > 1:
        reference = trees[0]
        ratios = []
        for tree in trees[1:]:
            for m in found:
                if m.tree != tree:
                    continue
                ref = next(r for r in found if r.tree == reference and r.name == m.name)
                per_round = " ".join(
                    f"{a.rps / b.rps:.2f}" for a, b in zip(m.results, ref.results, strict=True)
                )
                ratios.append(
                    [
                        f"{m.name}: {tree.name} / {reference.name}",
                        f"{m.median('rps') / ref.median('rps'):.3f}",
                        f"{m.median('p50') / ref.median('p50'):.3f}",
                        f"{m.median('p99') / ref.median('p99'):.3f}",
                        f"{m.median('cpu') / ref.median('cpu'):.3f}",
                        per_round,
                    ]
                )
                if m.name == "project get":
                    value = m.median("rps") / ref.median("rps")
                    name = f"GET by id: {tree.name} / {reference.name} req/s (issue 21)"
                    targets.append((name, value, ">= 0.90"))
                    cpu = ref.median("cpu") / m.median("cpu")
                    name = f"GET by id: server CPU per request, {reference.name} / {tree.name}"
                    targets.append((name, cpu, None))
        print()
        table(["ratio (medians)", "req/s", "p50", "p99", "CPU/req", "req/s per round"], ratios)
    verdicts(targets)
    print(
        f"\n{args.people} people; {args.rounds} rounds x {args.duration:g} s per measurement "
        f"(medians); servers on CPU 0, wrk on CPU 1, PostgreSQL unpinned; "
        f"load average before/after: {args.load_before} / {os.getloadavg()[0]:.2f}"
    )


# Main ------------------------------------------------------------------------------------------


def kinds(connections: int, deep: str) -> list[Kind]:
    """In the order they run in a round: the figures a ratio compares next to each other."""
    by_id = "/api/v1/beneficiaries/"
    return [
        Kind("bare get", "bare", by_id, connections, random_ids=True),
        Kind("project get", "project", by_id, connections, random_ids=True),
        Kind("edgeless get", "edgeless", by_id, connections, random_ids=True),
        Kind("sqlite get", "sqlite", by_id, connections, random_ids=True),
        Kind("bare healthz", "bare", "/healthz", connections),
        Kind("project healthz", "project", "/healthz", connections),
        Kind("edgeless healthz", "edgeless", "/healthz", connections),
        Kind("first page", "project", "/api/v1/beneficiaries?limit=50", 8),
        Kind("deep page", "project", f"/api/v1/beneficiaries?limit=50&cursor={deep}", 8),
    ]


def chosen(args: argparse.Namespace, compared: bool) -> list[str]:
    """The names of the measurements to run: ``--only``, or all of them (one tree), or those
    of issue 21's targets (trees compared); the bare baseline as ``--bare`` says."""
    names = [k.name for k in kinds(0, "")]
    if args.only:
        unknown = set(args.only) - set(names)
        if unknown:
            raise SystemExit(f"--only: unknown {sorted(unknown)}; known: {names}")
        return [n for n in names if n in args.only]
    bare = args.bare if args.bare is not None else not compared
    wanted = set(TREE_DEFAULT) if compared else {n for n in names if not n.startswith("bare")}
    if bare:
        wanted |= {"bare get"} if compared else {"bare get", "bare healthz"}
    return [n for n in names if n in wanted]


def in_round(found: list[Measurement], trees: list[Tree], round_number: int) -> list[Measurement]:
    """A round's order: measurement by measurement, every tree in turn, the trees' order
    reversed from one measurement to the next (pA pB, eB eA). When trees are compared, every
    other round runs that sequence backwards (eA eB, pB pA): each tree, and each measurement of
    a pair, goes first as often as the other. One tree keeps one order (the two servers of the
    ``/healthz`` figure have the same past only in it)."""
    ordered: list[Measurement] = []
    step = 0
    for name in dict.fromkeys(m.name for m in found):
        same = [m for m in found if m.name == name]
        if len(same) > 1:
            turn = code_trees.in_turn(trees, step)
            same.sort(key=lambda m: turn.index(m.tree))
            step += 1
        ordered += same
    compared = trees[0].root is not None
    return ordered[::-1] if compared and round_number % 2 else ordered


def run(args: argparse.Namespace, trees: list[Tree], pg_url: str, workdir: Path) -> None:
    own = code_trees.own()
    compared = trees[0].root is not None
    names = chosen(args, compared)
    found = [
        Measurement(kind, own if kind.server == "bare" else tree)
        for kind in kinds(args.connections, "")
        if kind.name in names
        for tree in ([own] if kind.server == "bare" else trees)
    ]
    with_sqlite = any(m.kind.server == "sqlite" for m in found)
    sqlite_url = f"sqlite+aiosqlite:///{workdir / 'speed.db'}"
    began = time.perf_counter()
    rows = registry(args.people)
    for url in (pg_url, sqlite_url) if with_sqlite else (pg_url,):
        migrate.upgrade(url)
        asyncio.run(generate(url, rows))
    ids = [str(row["id"]) for row in rows[Beneficiary]]
    del rows
    print(
        f"generated {args.people} people in {'each database' if with_sqlite else 'PostgreSQL'} "
        f"in {time.perf_counter() - began:.0f} s"
    )
    rng_ids = ids[:: max(1, len(ids) // 5000)]
    (workdir / "ids.txt").write_text("\n".join(rng_ids) + "\n")
    (workdir / "random_ids.lua").write_text(RANDOM_IDS_LUA)
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    if any(m.name == "deep page" for m in found):
        deep = asyncio.run(deep_cursor(dsn, max(1, args.people - 1000)))
        every = {k.name: k for k in kinds(args.connections, deep)}
        for m in found:
            m.kind = every[m.name]
    token = issue_access_token(SECRET, ACCOUNT_ID, datetime.now(UTC), 240)
    # Each tree its own copy of the data, at its own migration head (bench/trees.py); the bare
    # baseline, like one tree alone, the database the data were generated in.
    databases = {own: {"project": pg_url, "sqlite": sqlite_url}}
    if compared:
        began = time.perf_counter()
        for tree in trees:
            databases[tree] = {"project": code_trees.copy_database(pg_url, tree, args.heads)}
            if with_sqlite:
                copy = code_trees.copy_database(sqlite_url, tree, args.heads)
                databases[tree]["sqlite"] = copy
        print(f"copied the database for each tree in {time.perf_counter() - began:.0f} s")
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
    factories = {
        "bare": "speed_apps:bare",
        "project": "speed_apps:project",
        "edgeless": "speed_apps:project_without_edge",
        "sqlite": "speed_apps:project",
    }

    def environment(tree: Tree, server: str) -> dict[str, str]:
        database = databases[tree]["sqlite" if server == "sqlite" else "project"]
        return {**common, "VETERAN_CARE_DATABASE_URL": database}

    used = list(dict.fromkeys((m.tree, m.kind.server) for m in found))
    for round_number in range(args.rounds):
        # New processes every round (one process can run a few per cent faster or slower than
        # the next with the same code), all up at once, so that the two sides of each ratio
        # run one after the other, seconds apart, not minutes (the machine is shared).
        running: dict[tuple[Tree, str], tuple[subprocess.Popen[bytes], int]] = {}
        try:
            for tree, server in used:
                port = free_port()
                log = workdir / f"{tree.name or 'own'}-{server}.log"
                process = start(tree, factories[server], environment(tree, server), port, log)
                running[tree, server] = (process, port)
            for m in in_round(found, trees, round_number):
                process, port = running[m.tree, m.kind.server]
                wrk(port, m.kind, args.warm_up, token, workdir)
                cpu = wrk_load.cpu_seconds(process.pid)
                m.results.append(wrk(port, m.kind, args.duration, token, workdir))
                last = m.results[-1]
                m.cpu.append((wrk_load.cpu_seconds(process.pid) - cpu) / last.requests * 1e6)
                print(
                    f"round {round_number + 1} {m.label:24} {last.rps:8.0f} req/s  "
                    f"p50 {last.p50:7.1f} ms  p99 {last.p99:7.1f} ms  {m.cpu[-1]:6.0f} µs CPU",
                    flush=True,
                )
        finally:
            for process, _ in running.values():
                stop(process)
    report(found, trees, args)
    for tree in dict.fromkeys(m.tree for m in found):  # each with its own tree's CLI
        chain = verify_chain(tree, environment(tree, "project"), workdir)
        print(f"audit chain on PostgreSQL after the run [{tree.label}]: {chain}")


def verify_chain(tree: Tree, env: dict[str, str], workdir: Path) -> str:
    """Every audited request above appended to the hash chain, concurrently: check it whole,
    with this script's tree's ``veteran-care audit verify``."""
    verify = subprocess.run(
        [tree.tool("veteran-care"), "audit", "verify"],
        env=tree.env(env),
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    lines = (verify.stdout + verify.stderr).strip().splitlines()
    return lines[-1] if lines else f"veteran-care audit verify exited with {verify.returncode}"


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
    parser.add_argument(
        "--rounds", type=int, default=None, help="default: 3, or 4 when trees are compared"
    )
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
    code_trees.add_argument(parser)
    parser.add_argument(
        "--bare",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the bare baseline too (default: yes for one tree, no when trees are compared)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args()
    args.load_before = f"{os.getloadavg()[0]:.2f}"
    wrk_load.require()
    trees = code_trees.parse(args.tree)
    if args.rounds is None:
        args.rounds = 4 if args.tree else 3
    args.heads = code_trees.describe(trees)
    base = args.database_url
    pg_url = make_url(base).set(database=args.database).render_as_string(hide_password=False)
    asyncio.run(admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    asyncio.run(admin_execute(base, f'CREATE DATABASE "{args.database}"'))
    workdir = Path(tempfile.mkdtemp(prefix="vc_bench_speed_"))
    began = time.monotonic()
    try:
        run(args, trees, pg_url, workdir)
    finally:
        print(f"took {time.monotonic() - began:.0f} s")
        if args.keep:
            print(f"kept database {args.database} (and each tree's copy) and {workdir}")
        else:
            asyncio.run(
                admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            )
            for tree in trees if args.tree else ():
                code_trees.drop_database(pg_url, tree)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
