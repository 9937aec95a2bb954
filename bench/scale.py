"""A registry at a nation's scale (issue 24): name search and the due list at 10,000, 200,000
and 1,000,000 people, on PostgreSQL and SQLite.

    .venv/bin/python bench/scale.py [--sizes 10000 200000 1000000] [--backends postgresql sqlite]
        [--runs 15] [--reuse] [--explain]

1. For each size and backend, a database (``<prefix>_<size>`` on the PostgreSQL server of
   ``--database-url``; ``<workdir>/<prefix>_<size>.sqlite``; the prefix is ``scale`` unless
   ``--prefix`` says otherwise), migrated to the head, then filled with ``scale_data`` rows:
   people with names at their national frequencies (Nguyễn 38 % of the Kinh, Lò, Quàng, Vì,
   ... of the Thái), spread over the reference table's communes, with
   one or two categories, a card (90 %) and a past check (two in three, within two years). COPY
   on PostgreSQL, executemany on SQLite, then ``VACUUM ANALYZE`` / ``ANALYZE``. ``--reuse``
   keeps a database already filled to its size (it is migrated to the head all the same, so
   that a migration's backfill is timed here too).
2. Measures, server-side, the app's own query functions (the SQL of a request, without HTTP,
   the token check or the audit event): ``beneficiaries.repository.list_beneficiaries`` as
   ``GET /beneficiaries?q=...`` calls it (sort ``full_name``, 50 a page), and
   ``scheduling.due.due_page`` as ``GET /due`` calls it, filtered by the biggest commune and
   ``wounded-soldier``: the first page and a page from a cursor in the middle of the list.
   Each query: two runs to warm up, then ``--runs`` timed ones, each in a session of its own;
   p50 and p90 in milliseconds.
3. ``--explain`` prints PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)`` (SQLite: ``EXPLAIN QUERY
   PLAN``) of the main statement of each query at the largest size.

Targets: search p50 under 100 ms at 1,000,000 on PostgreSQL; due list p50 under 300 ms; each
no worse than 2 x its figure at 10,000.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
from scale_data import Registry

from veteran_care import migrate
from veteran_care.beneficiaries import repository
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.kit.clock import today
from veteran_care.kit.pagination import encode_cursor
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategory,
    BeneficiaryCategoryMembership,
    Commune,
    InsuranceCard,
    PastCheck,
)
from veteran_care.scheduling import due

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SEARCHES = {
    "search: one common word (nguyen)": "nguyen",
    "search: two words (nguyen van)": "nguyen van",
    "search: full name (tran thi lan)": "tran thi lan",
    "search: a Thái name (lo van pang)": "lo van pang",
    "search: CCCD": "",  # a CCCD of the registry (``a_cccd``)
}
DUE_COMMUNE_CATEGORY = "wounded-soldier"
TABLES = [
    (Beneficiary, "people"),
    (BeneficiaryCategoryMembership, "memberships"),
    (InsuranceCard, "cards"),
    (PastCheck, "past_checks"),
]


async def admin(base_url: str, sql: str) -> Any:
    dsn = make_url(base_url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=5)
    try:
        return await connection.fetch(sql)
    finally:
        await connection.close()


def urls(args: argparse.Namespace, backend: str, size: int) -> tuple[str, str]:
    """(async URL for the app, sync URL for loading SQLite / DSN for asyncpg)."""
    if backend == "sqlite":
        path = Path(args.workdir) / f"{args.prefix}_{size}.sqlite"
        return f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}"
    url = make_url(args.database_url).set(database=f"{args.prefix}_{size}")
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return url.render_as_string(hide_password=False), dsn


async def people_count(url: str) -> int:
    engine = create_engine(Settings(database_url=url, environment="test", secret_key="x" * 64))
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(Beneficiary)) or 0)
    except sqlalchemy.exc.DBAPIError:
        return -1
    finally:
        await engine.dispose()


async def reference(url: str) -> tuple[list[str], list[str]]:
    engine = create_engine(Settings(database_url=url, environment="test", secret_key="x" * 64))
    try:
        async with engine.connect() as connection:
            communes = (await connection.scalars(select(Commune.code).order_by(Commune.code))).all()
            codes = select(BeneficiaryCategory.code).order_by(BeneficiaryCategory.code)
            categories = (await connection.scalars(codes)).all()
    finally:
        await engine.dispose()
    return list(communes), list(categories)


def _records(model: Any, rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = list(rows[0])
    json_columns = {c.name for c in model.__table__.columns if isinstance(c.type, sqlalchemy.JSON)}
    records = [
        tuple(json.dumps(row[c]) if c in json_columns else row[c] for c in columns) for row in rows
    ]
    return columns, records


async def load_postgresql(dsn: str, registry: Registry, size: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for chunk in registry.chunks(size):
            for model, name in TABLES:
                rows = getattr(chunk, name)
                if rows:
                    columns, records = _records(model, rows)
                    await connection.copy_records_to_table(
                        model.__tablename__, records=records, columns=columns
                    )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def load_sqlite(sync_url: str, registry: Registry, size: int) -> None:
    engine = sqlalchemy.create_engine(sync_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for chunk in registry.chunks(size):
            for model, name in TABLES:
                rows = getattr(chunk, name)
                if rows:
                    connection.execute(insert(model), rows)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


async def build(args: argparse.Namespace, backend: str, size: int) -> tuple[str, float, float]:
    """The database of ``size`` people: (URL, seconds to build, seconds to migrate)."""
    url, other = urls(args, backend, size)
    if not (args.reuse and await people_count(url) == size):
        if backend == "sqlite":
            await asyncio.to_thread(Path(other.removeprefix("sqlite:///")).unlink, missing_ok=True)
        else:
            name = f"{args.prefix}_{size}"
            await admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin(args.database_url, f'CREATE DATABASE "{name}"')
        started = time.perf_counter()
        await asyncio.to_thread(migrate.upgrade, url)
        communes, categories = await reference(url)
        registry = Registry(communes, categories, today())
        if backend == "sqlite":
            await asyncio.to_thread(load_sqlite, other, registry, size)
        else:
            await load_postgresql(other, registry, size)
        return url, time.perf_counter() - started, 0.0
    started = time.perf_counter()
    await asyncio.to_thread(migrate.upgrade, url)  # a newer head's migrations (and backfills)
    took = time.perf_counter() - started
    if took > 1:  # something was migrated: statistics for new columns, a fresh visibility map
        await analyze(backend, url, other)
    return url, 0.0, took


async def analyze(backend: str, url: str, other: str) -> None:
    if backend == "postgresql":
        connection = await asyncpg.connect(other)
        try:
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()
    else:
        engine = sqlalchemy.create_engine(other)
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
        engine.dispose()


@contextmanager
def captured(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the block sends (to EXPLAIN the main one afterwards)."""
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


Query = Callable[[Any], Awaitable[Any]]


def queries(commune: str, cccd: str, on: date) -> dict[str, Query]:
    def search(q: str) -> Query:
        filters = repository.BeneficiaryFilters(q=q)
        return lambda s: repository.list_beneficiaries(
            s, filters, sort="full_name", cursor=None, limit=50
        )

    filters = due.DueFilters(commune_codes=(commune,), categories=(DUE_COMMUNE_CATEGORY,))
    middle = encode_cursor(due.DUE_SORT, "pham van", uuid.UUID(int=0))
    found: dict[str, Query] = {name: search(q or cccd) for name, q in SEARCHES.items()}
    found["due list: first page (commune, category)"] = lambda s: due.due_page(
        s, on, filters, cursor=None, limit=50
    )
    found["due list: deep page (commune, category)"] = lambda s: due.due_page(
        s, on, filters, cursor=middle, limit=50
    )
    return found


async def biggest_commune(sessionmaker: Any) -> str:
    async with sessionmaker() as session:
        stmt = (
            select(Beneficiary.commune_code)
            .group_by(Beneficiary.commune_code)
            .order_by(func.count().desc(), Beneficiary.commune_code)
            .limit(1)
        )
        return str(await session.scalar(stmt))


async def a_cccd(sessionmaker: Any) -> str:
    """The CCCD of the person of serial 777 (``scale_data``: it ends with the serial)."""
    async with sessionmaker() as session:
        stmt = select(func.min(Beneficiary.national_id)).where(
            Beneficiary.national_id.like("%000777")
        )
        return str(await session.scalar(stmt))


async def explain(engine: Any, sessionmaker: Any, query: Query, backend: str) -> str:
    with captured(engine) as seen:
        async with sessionmaker() as session:
            await query(session)
    statement, parameters = max(seen, key=lambda s: len(s[0]))
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgresql" else "EXPLAIN QUERY PLAN "
    async with sessionmaker() as session:
        connection = await session.connection()
        if backend == "postgresql":
            await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = (await connection.exec_driver_sql(prefix + statement, parameters)).all()
    return "\n".join(" | ".join(str(v) for v in row) for row in rows)


async def measure(url: str, backend: str, runs: int, explaining: bool) -> dict[str, Any]:
    engine = create_engine(Settings(database_url=url, environment="test", secret_key="x" * 64))
    sessionmaker = create_sessionmaker(engine)
    results: dict[str, Any] = {}
    try:
        commune, cccd = await biggest_commune(sessionmaker), await a_cccd(sessionmaker)
        for name, query in queries(commune, cccd, today()).items():
            times, rows = [], 0
            for attempt in range(runs + 2):
                async with sessionmaker() as session:
                    started = time.perf_counter()
                    page = await query(session)
                    took = (time.perf_counter() - started) * 1000
                rows = len(page[0])
                if attempt >= 2:
                    times.append(took)
            times.sort()
            results[name] = {
                "p50": statistics.median(times),
                "p90": times[int(len(times) * 0.9) - 1],
                "rows": rows,
                "plan": await explain(engine, sessionmaker, query, backend) if explaining else "",
            }
    finally:
        await engine.dispose()
    return results


def report(found: dict[tuple[str, int], dict[str, Any]], sizes: list[int]) -> None:
    print(f"\nload average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for backend in sorted({b for b, _ in found}):
        measured = [s for s in sizes if (backend, s) in found]
        print(f"\n### {backend}: p50 ms (rows on the page)\n")
        header = ["query", *(f"{s:,}" for s in measured), f"{measured[-1]:,} / {measured[0]:,}"]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for name in found[(backend, measured[0])]:
            cells = [
                f"{found[(backend, s)][name]['p50']:.1f} ({found[(backend, s)][name]['rows']})"
                for s in measured
            ]
            first = found[(backend, measured[0])][name]["p50"]
            last = found[(backend, measured[-1])][name]["p50"]
            print(f"| {name} | {' | '.join(cells)} | {last / first:.2f} |")
    for (backend, size), results in found.items():
        for name, result in results.items():
            if result["plan"]:
                print(f"\n#### {backend} {size:,}: {name}\n\n```\n{result['plan']}\n```")


async def run(args: argparse.Namespace) -> None:
    found: dict[tuple[str, int], dict[str, Any]] = {}
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for backend in args.backends:
        for size in args.sizes:
            url, built, migrated = await build(args, backend, size)
            note = f"built in {built:.0f} s" if built else f"reused, migrated in {migrated:.1f} s"
            print(f"{backend} {size:,}: {note}", flush=True)
            explaining = args.explain and size == max(args.sizes)
            found[(backend, size)] = await measure(url, backend, args.runs, explaining)
            for name, result in found[(backend, size)].items():
                print(f"  {name}: p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f} ms")
    report(found, args.sizes)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 200_000, 1_000_000])
    parser.add_argument(
        "--backends", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"]
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="Keep databases of the right size.")
    parser.add_argument("--explain", action="store_true", help="Plans at the largest size.")
    parser.add_argument("--workdir", default="/tmp", help="Where the SQLite files go.")
    parser.add_argument(
        "--prefix", default="scale", help="Databases and files are named <prefix>_<size>."
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("VETERAN_CARE_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
