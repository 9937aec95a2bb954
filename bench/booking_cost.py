"""The work one single booking costs: SQL statements and CPU, measured without load.

    .venv/bin/python bench/booking_cost.py [--bookings 300] [--database-url URL]

Deterministic where the timing benchmarks are noisy: the app runs in this process (httpx's
ASGITransport, no sockets), every SQL statement is counted by its first word, and the process CPU
time per request is read with ``time.process_time``. ``GET /healthz`` (full middleware stack, no
database) is measured in the same run as the floor, so that the booking's own cost is
``booking - healthz``. PostgreSQL by default (a fresh database ``vc_bench_cost``, dropped
afterwards); ``--sqlite`` runs it on a temporary SQLite file.

On two cores shared with other work, the CPU figure is the one to compare between commits; the
statement count is exact.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

from booking import (
    SPECIALTIES,
    admin_execute,
    day,
    expect,
    generate_people,
    make_facility,
)

from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.identity.passwords import hash_secret
from veteran_care.identity.tokens import issue_access_token
from veteran_care.kit.clock import utcnow
from veteran_care.main import create_app
from veteran_care.models import Account, AccountKind, Role

SECRET = "bench-secret-" + "x" * 64


async def admin_token(app: Any) -> str:
    async with app.state.sessionmaker() as session:
        account = Account(
            id=uuid.uuid4(),
            kind=AccountKind.user,
            login="bench-admin",
            display_name="Bench",
            secret_hash=hash_secret("not-used-" + uuid.uuid4().hex),
            roles=[Role.admin.value],
            province_wide=True,
            active=True,
            version=1,
        )
        session.add(account)
        await session.commit()
        return issue_access_token(SECRET, account.id, utcnow(), 60)


async def profile(call: Any, count: int) -> None:
    """cProfile of ``count`` calls: own time by package, then the slowest functions."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)  # CPU, not wall: the machine is shared
    profiler.enable()
    for _ in range(count):
        await call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_package: Counter[str] = Counter()
    for (path, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        parts = Path(path).parts
        package = next(
            (parts[i + 1] for i, p in enumerate(parts[:-1]) if p == "site-packages"),
            "veteran_care" if "veteran_care" in parts else (parts[-1] if parts else path),
        )
        by_package[package] += own
    total = sum(by_package.values())
    print(f"\nown CPU by package, {count} calls ({total / count * 1000:.2f} ms per call):")
    for package, own in by_package.most_common(15):
        print(f"  {package:30} {own / count * 1000:6.2f} ms  {own / total:5.1%}")
    stats.sort_stats("cumulative").print_stats(r"veteran_care", 40)


async def run(args: argparse.Namespace, database_url: str) -> None:
    needed = args.bookings * (2 if args.profile else 1) + 30
    walk_ins = await generate_people(database_url, 0, needed)
    settings = Settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=Path(tempfile.mkdtemp(prefix="vc_cost_")),
        log_level="WARNING",
    )
    app = create_app(settings)
    statements: Counter[str] = Counter()
    shown = [10_000]
    async with app.router.lifespan_context(app):
        engine = app.state.engine

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def count(*args: Any) -> None:
            statements[args[2].lstrip().split(None, 1)[0].upper()] += 1
            if os.environ.get("BENCH_SHOW_SQL") and shown[0] < 40:
                shown[0] += 1
                print("SQL:", " ".join(args[2].split()))

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            client.headers["Authorization"] = f"Bearer {await admin_token(app)}"
            facility, _ = await make_facility(client, 3, 10_000)
            people = iter(walk_ins)
            when = day(2).isoformat()

            async def book() -> None:
                response = await client.post(
                    "/api/v1/checkups",
                    json={
                        "beneficiary_id": next(people),
                        "facility_id": facility["id"],
                        "date": when,
                        "specialty_codes": SPECIALTIES,
                    },
                )
                expect(response, 201)

            async def health() -> None:
                expect(await client.get("/healthz"), 200)

            async def read() -> None:
                expect(await client.get(f"/api/v1/beneficiaries/{walk_ins[0]}"), 200)

            for _ in range(20):  # warm-up: caches, prepared statements, pool
                await book()
                await health()
            shown[0] = 0
            await book()
            print()
            await read()
            shown[0] = 10_000
            if args.profile:
                await profile(book, args.bookings)
            results = {}
            for name, call, count_of in (
                ("GET /healthz", health, args.bookings),
                ("GET /beneficiaries/{id}", read, args.bookings),
                ("POST /checkups (3 specialties)", book, args.bookings),
            ):
                statements.clear()
                rounds = []
                for _ in range(3):
                    began = time.process_time()
                    for _ in range(count_of // 3):
                        await call()
                    rounds.append((time.process_time() - began) / (count_of // 3) * 1000)
                results[name] = (statistics.median(rounds), dict(statements), count_of // 3 * 3)

    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"\nPer request, in-process (no sockets), {backend}; load: {os.getloadavg()[0]:.2f}")
    floor = results["GET /healthz"][0]
    for name, (cpu, counted, n) in results.items():
        total = sum(counted.values()) / n
        detail = ", ".join(f"{k} {v / n:g}" for k, v in sorted(counted.items()))
        print(f"  {name:32} CPU {cpu:6.2f} ms  statements {total:5.1f}  ({detail})")
    if not args.sqlite:
        print(
            "  (every statement is sent through SQLAlchemy since issue 21; not counted: the "
            "BEGIN and COMMIT of each transaction, which the asyncpg adapter sends itself)"
        )
    booking_cpu = results["POST /checkups (3 specialties)"][0]
    print(f"  booking - healthz: {booking_cpu - floor:.2f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "VETERAN_CARE_BENCH_DATABASE_URL",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        ),
    )
    parser.add_argument("--database", default="vc_bench_cost")
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the bookings first")
    args = parser.parse_args()
    if args.sqlite:
        folder = Path(tempfile.mkdtemp(prefix="vc_cost_db_"))
        url = f"sqlite+aiosqlite:///{folder / 'cost.db'}"
        migrate.upgrade(url)
        asyncio.run(run(args, url))
        return
    base = args.database_url
    url = make_url(base).set(database=args.database).render_as_string(hide_password=False)
    asyncio.run(admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    asyncio.run(admin_execute(base, f'CREATE DATABASE "{args.database}"'))
    try:
        migrate.upgrade(url)
        asyncio.run(run(args, url))
    finally:
        asyncio.run(admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
