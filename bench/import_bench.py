"""Import benchmark on PostgreSQL: a generated province list of beneficiaries with their cards
and last checks, imported twice.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--batch-size 1000] [--keep] [--profile]

1. A fresh database (``bench_import``, dropped afterwards unless ``--keep``), migrated, with the
   demo facilities of Điện Biên.
2. A CSV of ``--rows`` realistic rows (Vietnamese headers, names of the province's ethnic groups,
   DD/MM/YYYY or year-only births, CCCD and/or BHXH number, categories with disability rates,
   facility codes), a card for most (number, validity, ``ma_kcb_bd``) and the last check of two
   in three (``ngay_kham_gan_nhat``, ``phan_loai_suc_khoe``, ``noi_kham``), written to a
   temporary file.
3. ``veteran_care.registry_import.importer.import_beneficiaries`` on it, as the CLI runs it
   (``system_actor("import")``): every row created. Then the same file again: every row
   unchanged, nothing written. The garbage collector is set as the CLI sets it for an import
   (``kit.collector.batch_collector``). Rows per second for both, and the CPU time a row costs: this
   process's (``time.process_time``) and, when the server runs on this machine, its backends'
   (read from ``/proc``), which a shared machine's load does not inflate as it does the wall
   clock. ``--profile`` prints the top of a cProfile of the first import (CPU time).

Target (issues 6 and 24): 100,000 rows, with cards and past checks, at 5,000 rows/s or more.
"""

import argparse
import asyncio
import cProfile
import csv
import os
import pstats
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from veteran_care import migrate
from veteran_care.auth.principal import system_actor
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.demo import ETHNIC_WEIGHTS, NAMINGS
from veteran_care.demo_places import DIEN_BIEN
from veteran_care.kit.clock import utcnow
from veteran_care.kit.collector import batch_collector
from veteran_care.models import Facility
from veteran_care.registry_import.importer import ImportSummary, import_beneficiaries

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TARGET_ROWS_PER_SECOND = 5000
HEADER = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Năm sinh",
    "Giới tính",
    "Mã dân tộc",
    "CCCD",
    "Mã BHXH",
    "Điện thoại",
    "Mã xã",
    "Địa chỉ",
    "Huyện cũ",
    "Đối tượng",
    "Mã cơ sở",
    "so_the_bhyt",
    "the_tu_ngay",
    "the_den_ngay",
    "ma_kcb_bd",
    "ngay_kham_gan_nhat",
    "phan_loai_suc_khoe",
    "noi_kham",
]


def _name(rng: random.Random, ethnicity: str, female: bool) -> str:
    naming = NAMINGS[ethnicity]
    middles = naming.female_middles if female else naming.male_middles
    given = naming.female_given if female else naming.male_given
    return " ".join(rng.choice(part.split("|")) for part in (naming.families, middles, given))


def _categories(rng: random.Random, female: bool) -> str:
    if female:
        return "Thanh niên xung phong" if rng.random() < 0.8 else "veteran"
    codes = ["veteran"] if rng.random() < 0.7 else []
    if rng.random() < 0.25:
        codes.append(f"wounded-soldier:{rng.randint(21, 100)}")
    if rng.random() < 0.12:
        codes.append(f"Bệnh binh:{rng.randint(41, 100)}")
    return ";".join(codes or ["veteran"])


def _card(rng: random.Random, bhxh: str, facility_codes: list[str]) -> list[str]:
    """A card valid this year (nine in ten people with a BHXH number), legacy 15 characters."""
    if not bhxh or rng.random() >= 0.9:
        return ["", "", "", ""]
    year = date.today().year
    return [f"CB211{bhxh}", f"01/01/{year}", f"31/12/{year}", rng.choice(facility_codes)]


def _last_check(rng: random.Random, facility_codes: list[str]) -> list[str]:
    """The last check of two people in three, within two years, here or somewhere in words."""
    if rng.random() >= 0.67:
        return ["", "", ""]
    day = date.today() - timedelta(days=rng.randint(20, 730))
    place = rng.choice(facility_codes) if rng.random() < 0.7 else "Bệnh viện tỉnh bạn"
    return [day.strftime("%d/%m/%Y"), rng.choice(["I", "II", "III", "IV", "V"]), place]


def write_csv(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    groups, weights = list(ETHNIC_WEIGHTS), list(ETHNIC_WEIGHTS.values())
    facility_codes = [code for code, *_ in DIEN_BIEN.facilities]
    villages = DIEN_BIEN.villages.split("|")
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for serial in range(rows):
            ethnicity = rng.choices(groups, weights)[0]
            female = rng.random() < 0.15
            year = rng.randint(1935, 1965)
            born = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
            with_date = rng.random() < 0.75
            kind = rng.random()
            cccd = f"011{int(female)}{year % 100:02d}{serial:06d}" if kind < 0.9 else ""
            bhxh = f"11{serial:08d}" if kind >= 0.05 or not cccd else ""
            commune = rng.choice(DIEN_BIEN.communes)
            writer.writerow(
                [
                    serial + 1,
                    _name(rng, ethnicity, female),
                    born.strftime("%d/%m/%Y") if with_date else "",
                    "" if with_date else year,
                    "nữ" if female else "nam",
                    ethnicity,
                    cccd,
                    bhxh,
                    f"09{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.6 else "",
                    commune,
                    f"Bản {rng.choice(villages)}",
                    DIEN_BIEN.district_of[commune],
                    _categories(rng, female),
                    rng.choice(facility_codes),
                    *_card(rng, bhxh, facility_codes),
                    *_last_check(rng, facility_codes),
                ]
            )


async def admin_execute(base_url: str, sql: str) -> None:
    dsn = make_url(base_url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _cpu_seconds(pid: int) -> float:
    """A process's user and system CPU time (0 when it cannot be read: another machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def server_cpu(base_url: str, database: str) -> dict[int, float]:
    """The CPU time of each server backend connected to ``database``, by process id."""
    dsn = make_url(base_url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=5)
    try:
        stmt = "SELECT pid FROM pg_stat_activity WHERE datname = $1"
        pids = [row[0] for row in await connection.fetch(stmt, database)]
    finally:
        await connection.close()
    return {pid: _cpu_seconds(pid) for pid in pids}


async def import_twice(
    database_url: str, path: Path, batch_size: int, profile: bool
) -> list[tuple[str, float, ImportSummary, float, float]]:
    settings = Settings(database_url=database_url, environment="test", secret_key="x" * 64)
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    results = []
    try:
        async with engine.begin() as connection:
            now = utcnow()
            await connection.execute(
                insert(Facility),
                [
                    {
                        "id": uuid.uuid4(),
                        "code": code,
                        "name": name,
                        "level": level,
                        "commune_code": commune,
                        "active": True,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for code, name, level, commune in DIEN_BIEN.facilities
                ],
            )
        for run in ("first import (all created)", "same file again (all unchanged)"):
            profiler = cProfile.Profile(time.process_time) if profile and not results else None
            url = make_url(database_url)
            backends = await server_cpu(database_url, url.database or "")
            with path.open("rb") as source:
                started, cpu = time.perf_counter(), time.process_time()
                if profiler is not None:
                    profiler.enable()
                summary = await import_beneficiaries(
                    sessionmaker, source, system_actor("import"), batch_size=batch_size
                )
                if profiler is not None:
                    profiler.disable()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            after = await server_cpu(database_url, url.database or "")
            server = sum(seconds - backends.get(pid, 0.0) for pid, seconds in after.items())
            results.append((run, elapsed, summary, cpu, server))
            if profiler is not None:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    finally:
        await engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument(
        "--database-url", default=os.environ.get("VETERAN_CARE_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--database", default="bench_import")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--profile", action="store_true", help="cProfile the first import.")
    args = parser.parse_args()

    base = args.database_url
    url = make_url(base).set(database=args.database).render_as_string(hide_password=False)
    asyncio.run(admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    asyncio.run(admin_execute(base, f'CREATE DATABASE "{args.database}"'))
    try:
        migrate.upgrade(url)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "danh-sach.csv"
            started = time.perf_counter()
            write_csv(path, args.rows, args.seed)
            size = path.stat().st_size / 1e6
            took = time.perf_counter() - started
            print(f"Generated {args.rows:,} rows ({size:.1f} MB) in {took:.1f} s")
            with batch_collector():  # as the CLI runs an import (decision 0065)
                results = asyncio.run(import_twice(url, path, args.batch_size, args.profile))
    finally:
        if not args.keep:
            asyncio.run(
                admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            )
    print(
        f"\n{'run':<34} {'seconds':>8} {'rows/s':>8}  created updated unchanged rejected"
        "  CPU us/row: Python server"
    )
    for run, elapsed, summary, cpu, server in results:
        per_row = 1e6 / max(summary.rows, 1)
        print(
            f"{run:<34} {elapsed:8.2f} {summary.rows / elapsed:8.0f}  {summary.created:7} "
            f"{summary.updated:7} {summary.unchanged:9} {summary.rejected:8}"
            f"  {cpu * per_row:17.0f} {server * per_row:6.0f}"
        )
        for error in summary.errors[:5]:
            print(f"    line {error.line}, {error.field}: {error.message}")
    first = results[0][2].rows / results[0][1]
    verdict = "meets" if first >= TARGET_ROWS_PER_SECOND else "MISSES"
    print(
        f"\nFirst import: {first:,.0f} rows/s ({verdict} the {TARGET_ROWS_PER_SECOND:,}/s target)"
    )
    return 0 if first >= TARGET_ROWS_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
