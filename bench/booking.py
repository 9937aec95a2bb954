"""Booking benchmark on PostgreSQL: bulk scheduling of a generated province, single-booking latency.

    .venv/bin/python bench/booking.py [--people 10000] [--clients 32] [--seconds 10] [--keep]

Needs ``wrk`` (``apt-get install wrk``) and ``taskset``.

1. A fresh database (``bench_booking``, dropped afterwards unless ``--keep``), migrated.
2. A province: ``--people`` due veterans with valid cards, and walk-ins of another category for
   the single bookings (as many as wrk could send at ``--max-rate`` per second), inserted
   directly (SQLAlchemy Core bulk inserts of the project's models); one facility with three
   specialties and sessions over the campaign's days (through the API); a campaign targeting
   veterans. The bulk run fills the first days, the walk-ins are booked into the later ones.
3. A real server (``veteran-care serve``, one uvicorn worker) pinned to CPU 0 with ``taskset``;
   the load generator pinned to CPU 1 (PostgreSQL is not pinned: it shares both).
4. Figures: ``POST /campaigns/{id}/bulk-schedule`` with limit = ``--people`` (httpx); then, with
   ``wrk`` (one thread, ``--clients`` connections, ``--seconds`` each): the baselines
   ``GET /healthz`` and an authenticated ``GET /sessions/{id}``; single bookings (three
   specialties each, a distinct person each) with one connection (service time) and with
   ``--clients`` connections. Client-side latencies (wrk's), and the server's own durations
   read from its JSON access log (each request carries an ``X-Request-ID`` naming its phase).
   ``--profile`` records the server with py-spy during the bulk run and the concurrent bookings.

Targets (issue 4): bulk 10,000 in under 20 s; single-booking p99 under 100 ms.
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import wrk_load
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db import create_engine, utcnow
from veteran_care.demo import COMMUNES, ETHNIC_WEIGHTS, NAMINGS
from veteran_care.kit.clock import today
from veteran_care.kit.text import fold
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    CardNumberFormat,
    CardStatus,
    InsuranceCard,
    NationalIdType,
    Sex,
)

SPECIALTIES = ["internal-medicine", "ultrasound", "ophthalmology"]
EVERY_DAY = [
    {"weekday": d, "part_of_day": p} for d in range(1, 8) for p in ("morning", "afternoon")
]
ADMIN_PASSWORD = "bench-" + secrets.token_hex(12)
WARM_UP_SECONDS = 2
WALK_IN_DAYS = 3
INSERT_BATCH = 2000
# One wrk thread runs this: each request books the next person of the phase's file, on the
# phase's days in turn, and names its phase in X-Request-ID. Past the end of the file it starts
# again (those bookings are refused as already booked, and counted as non-2xx).
BOOKINGS_LUA = """
local people, n, i, days, nd, headers = {}, 0, 0, {}, 0, nil
local facility, tag, codes = "", "", ""
function init(args)
  for line in io.lines(args[1]) do n = n + 1; people[n] = line end
  facility, tag, codes = args[2], args[4], args[5]
  for d in string.gmatch(args[3], "[^,]+") do nd = nd + 1; days[nd] = d end
end
function request()
  if headers == nil then
    headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["Content-Type"] = "application/json"
  end
  i = i + 1
  if i > n then i = 1 end
  headers["X-Request-ID"] = tag .. "." .. i
  local body = '{"beneficiary_id":"' .. people[i] .. '","facility_id":"' .. facility ..
    '","date":"' .. days[(i - 1) % nd + 1] .. '","specialty_codes":' .. codes .. '}'
  return wrk.format("POST", "/api/v1/checkups", headers, body)
end
"""


@dataclass
class Phase:
    name: str
    tag: str
    clients: int
    result: wrk_load.Result


def day(offset: int) -> date:
    return today() + timedelta(days=offset)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def pinned(command: list[str], cpu: int) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(cpu), *command] if taskset and os.cpu_count() != 1 else command


# Database --------------------------------------------------------------------------------------


async def admin_execute(base_url: str, sql: str) -> None:
    dsn = make_url(base_url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def person_rows(
    rng: random.Random, serial: int, category: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    ethnicity = rng.choices(list(ETHNIC_WEIGHTS), weights=list(ETHNIC_WEIGHTS.values()))[0]
    naming = NAMINGS[ethnicity]
    sex = Sex.male if rng.random() < 0.85 else Sex.female
    middles, given = (
        (naming.male_middles, naming.male_given)
        if sex == Sex.male
        else (naming.female_middles, naming.female_given)
    )
    name = " ".join(rng.choice(part.split("|")) for part in (naming.families, middles, given))
    person_id, now, bhxh = uuid.uuid4(), utcnow(), f"11{serial:08d}"
    beneficiary = {
        "id": person_id,
        "full_name": name,
        "name_search": fold(name),
        "birth_year": rng.randint(1935, 1975),
        "sex": sex,
        "ethnicity_code": ethnicity,
        "national_id": f"011{serial:09d}",
        "national_id_type": NationalIdType.cccd,
        "bhxh_number": bhxh,
        "commune_code": rng.choice(COMMUNES),
        "status": BeneficiaryStatus.active,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    membership = {"beneficiary_id": person_id, "category_code": category}
    year = today().year
    card = {
        "id": uuid.uuid4(),
        "beneficiary_id": person_id,
        "number": bhxh,
        "number_format": CardNumberFormat.bhxh_10,
        "bhxh_number": bhxh,
        "valid_from": date(year - 1, 1, 1),
        "valid_to": date(year + 1, 12, 31),
        "registration_facility_code": "11001",
        "status": CardStatus.active,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    return beneficiary, membership, card


async def generate_people(database_url: str, due: int, walk_ins: int) -> list[str]:
    """Insert the province's people directly; returns the walk-ins' ids."""
    rng = random.Random(2027)
    rows: dict[Any, list[dict[str, Any]]] = {
        Beneficiary: [],
        BeneficiaryCategoryMembership: [],
        InsuranceCard: [],
    }
    for serial in range(due + walk_ins):
        category = "veteran" if serial < due else "former-youth-volunteer"
        for model, row in zip(rows, person_rows(rng, serial, category), strict=True):
            rows[model].append(row)
    engine = create_engine(
        Settings(database_url=database_url, environment="test", secret_key="x" * 64)
    )
    try:
        async with engine.begin() as connection:
            for model, model_rows in rows.items():
                for batch in batches(model_rows, INSERT_BATCH):
                    await connection.execute(insert(model), batch)
    finally:
        await engine.dispose()
    return [str(row["id"]) for row in rows[Beneficiary][due:]]


# Server ----------------------------------------------------------------------------------------


def start_server(
    database_url: str, port: int, workdir: Path, workers: int = 1
) -> subprocess.Popen[bytes]:
    command = shutil.which("veteran-care", path=str(Path(sys.executable).parent))
    if command is None:
        raise SystemExit("veteran-care is not installed next to this Python")
    env = {
        **os.environ,
        "VETERAN_CARE_DATABASE_URL": database_url,
        "VETERAN_CARE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "VETERAN_CARE_ENVIRONMENT": "production",
        "VETERAN_CARE_SECRET_KEY": secrets.token_hex(32),
        "VETERAN_CARE_DATA_DIR": str(workdir),
    }
    with (workdir / "server.log").open("wb") as log:
        serve = [command, "serve", "--host", "127.0.0.1", "--port", str(port)]
        serve += ["--workers", str(workers)]
        return subprocess.Popen(
            pinned(serve, cpu=0) if workers == 1 else serve,
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


async def wait_until_ready(client: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the server was not ready within 60 s")


async def login(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return token


def expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise SystemExit(f"{response.request.url}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


async def make_facility(
    client: httpx.AsyncClient, days: int, capacity: int
) -> tuple[dict[str, Any], list[str]]:
    facility = expect(
        await client.post(
            "/api/v1/facilities",
            json={
                "code": "11901",
                "name": "Trung tâm Y tế (benchmark)",
                "level": "regional-medical-centre",
            },
        ),
        201,
    )
    for code in SPECIALTIES:
        expect(
            await client.post(
                f"/api/v1/facilities/{facility['id']}/services",
                json={"specialty_code": code, "timetable": EVERY_DAY, "default_capacity": capacity},
            ),
            201,
        )
    expect(
        await client.post(
            "/api/v1/sessions/generate",
            json={
                "facility_id": facility["id"],
                "date_from": day(1).isoformat(),
                "date_to": day(days).isoformat(),
            },
        ),
        200,
    )
    sessions = expect(
        await client.get(
            "/api/v1/sessions",
            params={"facility_id": facility["id"], "date_from": day(1).isoformat(), "limit": 1},
        ),
        200,
    )
    return facility, [s["id"] for s in sessions["items"]]


async def raise_capacity(
    client: httpx.AsyncClient, facility_id: str, days: Sequence[date], capacity: int
) -> None:
    """Every session of the facility on these days gets ``capacity`` places."""
    listed = await client.get(
        "/api/v1/sessions",
        params={
            "facility_id": facility_id,
            "date_from": days[0].isoformat(),
            "date_to": days[-1].isoformat(),
            "limit": 100,
        },
    )
    for found in expect(listed, 200)["items"]:
        read = await client.get(f"/api/v1/sessions/{found['id']}")
        changed = await client.patch(
            f"/api/v1/sessions/{found['id']}",
            json={"capacity": capacity},
            headers={"If-Match": read.headers["ETag"]},
        )
        expect(changed, 200)


# Load ------------------------------------------------------------------------------------------


def measure(
    name: str, tag: str, clients: int, seconds: float, base_url: str, token: str, *script: str
) -> Phase:
    """wrk, pinned to CPU 1, with ``clients`` connections for ``seconds``: the bookings script
    (``script[0]``, a ``.lua`` file) with its arguments, or a GET of ``script[0]``. Every
    request's ``X-Request-ID`` names the phase, to find its server-side duration in the access
    log."""
    arguments = ["-H", f"Authorization: Bearer {token}"]
    if script[0].endswith(".lua"):
        arguments += ["-s", script[0], base_url, "--", *script[1:], tag, json.dumps(SPECIALTIES)]
    else:
        arguments += ["-H", f"X-Request-ID: {tag}.get", base_url + script[0]]
    return Phase(name, tag, clients, wrk_load.run(arguments, connections=clients, seconds=seconds))


def server_durations(log_path: Path) -> dict[str, list[float]]:
    """Server-side durations (ms) by phase tag, from the JSON access log (production mode)."""
    found: dict[str, list[float]] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        request_id = entry.get("request_id") or ""
        if entry.get("logger") == "veteran_care.access" and "." in request_id:
            found.setdefault(request_id.split(".")[0], []).append(float(entry["duration_ms"]))
    return found


def quantile(values: Sequence[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def latency_row(phase: Phase, on_server: dict[str, list[float]]) -> list[str]:
    server, result = on_server.get(phase.tag, []), phase.result
    outcome = f"{result.requests - result.non_2xx} 2xx"
    if result.non_2xx or result.errors:
        outcome += f", {result.non_2xx} non-2xx, {result.errors} socket errors"
    return [
        phase.name,
        str(phase.clients),
        f"{result.p50:.1f}",
        f"{result.p99:.1f}",
        f"{quantile(server, 50):.1f}" if len(server) > 1 else "-",
        f"{quantile(server, 99):.1f}" if len(server) > 1 else "-",
        f"{result.rps:.0f}",
        outcome,
    ]


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [
            cell.ljust(width) if i in (0, len(row) - 1) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> None:
    started = time.perf_counter()
    # Each booking phase has its own people: as many as wrk could book at --max-rate.
    allotted = {
        "warm-up": WARM_UP_SECONDS * args.max_rate,
        "serial": round(args.serial_seconds * args.max_rate),
        "bookings": round(args.seconds * args.max_rate),
    }
    walk_ins = await generate_people(database_url, args.people, sum(allotted.values()))
    generated = time.perf_counter() - started
    print(f"generated {args.people} due people and {len(walk_ins)} walk-ins in {generated:.1f} s")
    # Places: the bulk run fills the first days; the walk-ins are booked into the last three,
    # whose sessions get room for all of them (as many bookings on as few sessions as before).
    per_day = 2 * args.capacity
    days = args.campaign_days or -(-args.people // per_day) + WALK_IN_DAYS
    if per_day * (days - WALK_IN_DAYS) < args.people:
        raise SystemExit("not enough places: raise --capacity or --campaign-days")
    walk_in_capacity = -(-len(walk_ins) // (2 * WALK_IN_DAYS)) + 1
    people_files, start = {}, 0
    for tag, count in allotted.items():
        people_files[tag] = workdir / f"people-{tag}.txt"
        people_files[tag].write_text("\n".join(walk_ins[start : start + count]) + "\n")
        start += count
    (workdir / "bookings.lua").write_text(BOOKINGS_LUA)
    walk_in_days = [day(d) for d in range(days - WALK_IN_DAYS + 1, days + 1)]

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(database_url, port, workdir, args.workers)
    # Idle connections are dropped before uvicorn's 5 s keep-alive could close them under a
    # request (the bulk run keeps this one waiting).
    limits = httpx.Limits(keepalive_expiry=2)
    try:
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=600) as client:
            await wait_until_ready(client, server)
            token = await login(client)
            facility, some_sessions = await make_facility(client, days, args.capacity)
            await raise_capacity(client, facility["id"], walk_in_days, walk_in_capacity)
            campaign = expect(
                await client.post(
                    "/api/v1/campaigns",
                    json={
                        "name": "Khám định kỳ 27/7 (benchmark)",
                        "starts_on": day(1).isoformat(),
                        "ends_on": day(days).isoformat(),
                        "facility_ids": [facility["id"]],
                        "target_categories": ["veteran"],
                        "specialty_codes": SPECIALTIES,
                    },
                ),
                201,
            )

            profiler = start_profiler(server.pid, workdir / "profile-bulk.txt", args.profile)
            began = time.perf_counter()
            bulk = expect(
                await client.post(
                    f"/api/v1/campaigns/{campaign['id']}/bulk-schedule",
                    json={"facility_id": facility["id"], "limit": args.people},
                ),
                200,
            )
            bulk_seconds = time.perf_counter() - began
            stop_profiler(profiler)
        # The rest runs with wrk: the server keeps running until the end of this block.
        clients, seconds = args.clients, args.seconds

        def bookings(tag: str) -> list[str]:
            lua, people = str(workdir / "bookings.lua"), str(people_files[tag])
            dates = ",".join(d.isoformat() for d in walk_in_days)
            return [lua, people, facility["id"], dates]

        baseline = measure("GET /healthz", "healthz", clients, seconds, base_url, token, "/healthz")
        read = f"/api/v1/sessions/{some_sessions[0]}"
        authenticated = measure(
            "GET /sessions/{id}", "read", clients, seconds, base_url, token, read
        )
        booking = "POST /checkups (3 specialties)"
        measure(
            "warm-up", "warm-up", clients, WARM_UP_SECONDS, base_url, token, *bookings("warm-up")
        )
        serial = measure(
            booking, "serial", 1, args.serial_seconds, base_url, token, *bookings("serial")
        )
        profiler = start_profiler(server.pid, workdir / "profile-bookings.txt", args.profile)
        singles = measure(
            booking, "bookings", clients, seconds, base_url, token, *bookings("bookings")
        )
        stop_profiler(profiler)
    finally:
        stop_server(server)

    on_server = server_durations(workdir / "server.log")
    target = 20.0 * args.people / 10_000
    refused = Counter(n["reason"] for n in bulk["not_booked"])
    print(
        f"\nBooking benchmark: PostgreSQL, {args.workers} uvicorn worker(s)"
        f"{' on CPU 0' if args.workers == 1 else ''}, wrk on CPU 1"
        f"\n\nbulk-schedule of {args.people} due people: {bulk_seconds:.2f} s "
        f"({len(bulk['booked'])} booked, {sum(refused.values())} not booked {dict(refused)}); "
        f"target < {target:.0f} s: {'met' if bulk_seconds < target else 'MISSED'}\n"
    )
    header = ["request", "clients", "p50 ms", "p99 ms", "server p50", "server p99", "req/s", ""]
    rows = [latency_row(r, on_server) for r in (baseline, authenticated, serial, singles)]
    print_table(header, rows)
    p99 = singles.result.p99

    def ratios(base: Phase) -> str:
        p50 = singles.result.p50 / base.result.p50
        return f"p50 {p50:.1f}x, p99 {p99 / base.result.p99:.1f}x"

    print(
        f"\nsingle booking p99 at {args.clients} clients: {p99:.1f} ms; target < 100 ms: "
        f"{'met' if p99 < 100 else 'MISSED'}"
        f"\nratios at {args.clients} clients, booking / GET /healthz: {ratios(baseline)}; "
        f"booking / GET /sessions/{{id}}: {ratios(authenticated)}"
        f"\n(server p50/p99: the app's own duration from its access log, without the time a "
        f"request waits for the event loop or in the socket backlog)"
        f"\nload average at the end: {os.getloadavg()[0]:.2f}"
    )


# Profiling (optional) --------------------------------------------------------------------------


def start_profiler(pid: int, output: Path, wanted: bool) -> subprocess.Popen[bytes] | None:
    """py-spy (``pip install py-spy``, on PATH or next to this Python) records the server's
    stacks in py-spy's raw (collapsed) format."""
    if not wanted:
        return None
    search = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    py_spy = shutil.which("py-spy", path=search)
    if py_spy is None:
        print("--profile: py-spy is not installed (pip install py-spy); not profiling")
        return None
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "-o",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_profiler(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is None:
        return
    profiler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
    try:
        profiler.wait(timeout=30)
    except subprocess.TimeoutExpired:
        profiler.kill()
        profiler.wait()


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
    parser.add_argument("--database", default="bench_booking")
    parser.add_argument("--people", type=int, default=10_000, help="due people to bulk-book")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument(
        "--seconds", type=float, default=10, help="length of each measurement at --clients"
    )
    parser.add_argument(
        "--serial-seconds", type=float, default=5, help="length of the one-client measurement"
    )
    parser.add_argument(
        "--max-rate", type=int, default=1500, help="bookings/s the walk-ins are generated for"
    )
    parser.add_argument(
        "--campaign-days", type=int, default=0, help="default: as many as the places need"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn workers (1: pinned to CPU 0; more: not pinned, sharing the cores)",
    )
    parser.add_argument("--capacity", type=int, default=600, help="places per session")
    parser.add_argument("--profile", action="store_true", help="py-spy the server's bulk run")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the server log afterwards"
    )
    args = parser.parse_args()
    wrk_load.require()

    base = args.database_url
    if not base.startswith("postgresql"):
        raise SystemExit("the benchmark runs on PostgreSQL")
    database_url = make_url(base).set(database=args.database).render_as_string(hide_password=False)
    asyncio.run(admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    asyncio.run(admin_execute(base, f'CREATE DATABASE "{args.database}"'))
    workdir = Path(tempfile.mkdtemp(prefix="bench_booking_"))
    try:
        migrate.upgrade(database_url)
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {1})  # the load generator; the server gets CPU 0
        asyncio.run(run(args, database_url, workdir))
    finally:
        if args.keep:
            print(f"kept database {args.database}")
        else:
            asyncio.run(
                admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            )
        if args.keep or args.profile:
            print(f"server log and profiles kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
