"""Booking benchmark on PostgreSQL: bulk scheduling of a generated province, single-booking latency.

    .venv/bin/python bench/booking.py [--people 10000] [--clients 32] [--seconds 10] [--keep]
    .venv/bin/python bench/booking.py --tree before=../before --tree after=.

Needs ``wrk`` (``apt-get install wrk``) and ``taskset``.

1. A fresh database (``bench_booking``, dropped afterwards unless ``--keep``), migrated.
2. A province: ``--people`` due veterans with valid cards, and walk-ins of another category for
   the single bookings (as many as wrk could send at ``--max-rate`` per second), inserted
   directly (SQLAlchemy Core bulk inserts of the project's models); one facility with three
   specialties and sessions over the campaign's days (through the API); a campaign targeting
   veterans. The bulk run fills the first days, the walk-ins are booked into the later ones.
3. A real server (``veteran-care serve --no-migrate``, one uvicorn worker) pinned to CPU 0 with
   ``taskset``; the load generator pinned to CPU 1 (PostgreSQL is not pinned: it shares both).
4. Figures: ``POST /campaigns/{id}/bulk-schedule`` with limit = ``--people`` (httpx; none with
   ``--people 0``); then, with ``wrk`` (one thread, ``--clients`` connections, ``--seconds``
   each): the baselines ``GET /healthz`` and an authenticated ``GET /sessions/{id}``; single
   bookings (three specialties each, a distinct person each) with one connection (service
   time) and with ``--clients`` connections. Client-side latencies (wrk's), the server's own
   durations read from its JSON access log (each request carries an ``X-Request-ID`` naming its
   phase), and the server's CPU per booking (from ``/proc``).
   ``--profile`` records the server with py-spy during the bulk run and the concurrent bookings.

Before and after (issue 21): ``--tree NAME=PATH``, repeated (bench/trees.py). The province
(people for every turn, the facility, its sessions and the campaign) is made once, by this
script's tree; each tree gets a copy of that database, at its own migration head. Each turn is
one tree's server (its own ``PATH/.venv/bin/veteran-care serve``), started anew, running step 4
on people and sessions of its own. ``--rounds`` rounds; in each every tree takes a turn, the
order alternating (A B, then B A, ...). The tables give each tree's medians over its turns and
each tree's ratios to the first tree named.

Targets (issue 4): bulk 10,000 in under 20 s; single-booking p99 under 100 ms. Issue 21: booking
p99 at 32 clients within 20 % of before's, bookings per second at least 0.9 x before's.
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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import booking_messages
import httpx
import trees as code_trees
import wrk_load
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from trees import Tree

from veteran_care import migrate
from veteran_care.demo import ETHNIC_WEIGHTS, NAMINGS
from veteran_care.demo_places import DIEN_BIEN
from veteran_care.kit.clock import today
from veteran_care.kit.text import fold
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    CardNumberFormat,
    CardStatus,
    ContactConsent,
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
MAX_CAPACITY = 10_000  # places per session the API accepts
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
    person_id, now, bhxh = uuid.uuid4(), datetime.now(UTC), f"11{serial:08d}"
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
        "commune_code": rng.choice(DIEN_BIEN.communes),
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


async def generate_people(
    database_url: str, due: int, walk_ins: int, messages: bool = False
) -> list[str]:
    """Insert the province's people directly; returns the walk-ins' ids. With ``messages``,
    each has a phone and has consented to SMS (booking_messages.py)."""
    rng = random.Random(2027)
    rows: dict[Any, list[dict[str, Any]]] = {
        Beneficiary: [],
        BeneficiaryCategoryMembership: [],
        InsuranceCard: [],
        ContactConsent: [],
    }
    for serial in range(due + walk_ins):
        category = "veteran" if serial < due else "former-youth-volunteer"
        person, membership, card = person_rows(rng, serial, category)
        rows[Beneficiary].append(person)
        rows[BeneficiaryCategoryMembership].append(membership)
        rows[InsuranceCard].append(card)
        if messages:
            person["phone"] = booking_messages.phone(serial)
            rows[ContactConsent].append(booking_messages.consent_row(person["id"]))
    engine = create_async_engine(database_url)  # plain: inserting needs none of the project's
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
    database_url: str,
    port: int,
    workdir: Path,
    workers: int = 1,
    *,
    tree: Tree | None = None,
    log: Path | None = None,
    secret: str | None = None,
) -> subprocess.Popen[bytes]:
    """The tree's own ``veteran-care serve`` (default: this script's), logging to ``log``
    (default: ``workdir/server.log``). The database is migrated already, by this script's
    tree: the server does not migrate it (a tree whose migrations end elsewhere would refuse)."""
    tree = tree or code_trees.own()
    log = log or workdir / "server.log"
    secret = secret or secrets.token_hex(32)
    env = {
        "VETERAN_CARE_DATABASE_URL": database_url,
        "VETERAN_CARE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "VETERAN_CARE_ENVIRONMENT": "production",
        "VETERAN_CARE_SECRET_KEY": secret,
        "VETERAN_CARE_DATA_DIR": str(workdir),
    }
    with log.open("wb") as out:
        serve = [tree.tool("veteran-care"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        serve += ["--workers", str(workers), "--no-migrate"]
        return subprocess.Popen(
            pinned(serve, cpu=0) if workers == 1 else serve,
            cwd=workdir,
            env=tree.env(env),
            stdout=out,
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
    """``/healthz``, not ``/readyz``: a tree whose migrations end elsewhere than the script's is
    never ready by ``/readyz``; the login that follows shows that the database answers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if (await client.get("/healthz")).status_code == 200:
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
        if "." in request_id and "duration_ms" in entry:  # the access line, whatever its logger
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


@dataclass
class Turn:
    """One tree's server, started anew, measured once."""

    number: int
    tree: Tree
    bulk_seconds: float | None
    bulk: dict[str, Any] | None
    phases: list[Phase]  # GET /healthz, GET /sessions/{id}, one client, --clients clients
    on_server: dict[str, list[float]]
    cpu: float | None = None  # the server's µs of CPU per booking at --clients clients
    figures: dict[str, float] = field(default_factory=dict)


@dataclass
class Province:
    """What the turns book into: the facility, its campaign, and each turn's walk-in days."""

    facility_id: str
    campaign_id: str
    some_session: str
    walk_in_days: list[list[date]]  # by turn


async def set_up(
    tree: Tree,
    args: argparse.Namespace,
    database_url: str,
    workdir: Path,
    days: int,
    turns: int,
    walk_ins: int,
) -> Province:
    """The facility, its sessions and the campaign, through the API (this script's tree, on
    the database it generated, before each tree gets its copy). Each
    turn books its walk-ins into three days of its own, at the campaign's end, whose sessions
    get room for all of them: every turn books as many people on as few sessions, empty at its
    start."""
    port = free_port()
    log = workdir / "setup.log"
    server = start_server(database_url, port, workdir, tree=tree, log=log, secret=args.secret)
    first = days - WALK_IN_DAYS * turns + 1
    walk_in_days = [
        [day(first + WALK_IN_DAYS * turn + d) for d in range(WALK_IN_DAYS)] for turn in range(turns)
    ]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            await wait_until_ready(client, server)
            await login(client)
            facility, some_sessions = await make_facility(client, days, args.capacity)
            walk_in_capacity = -(-walk_ins // (2 * WALK_IN_DAYS)) + 1
            for turn_days in walk_in_days:
                await raise_capacity(client, facility["id"], turn_days, walk_in_capacity)
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
    finally:
        stop_server(server)
    return Province(facility["id"], campaign["id"], some_sessions[0], walk_in_days)


async def take_turn(
    number: int,
    tree: Tree,
    args: argparse.Namespace,
    database_url: str,
    workdir: Path,
    province: Province,
    people_files: dict[str, Path],
) -> Turn:
    """Start the tree's server, time a bulk run and the wrk phases, stop it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = workdir / f"server-{number}-{tree.name or 'own'}.log"
    server = start_server(
        database_url, port, workdir, args.workers, tree=tree, log=log, secret=args.secret
    )
    profile = workdir / f"profile-{number}-{tree.name or 'own'}"
    bulk, bulk_seconds = None, None
    # Idle connections are dropped before uvicorn's 5 s keep-alive could close them under a
    # request (the bulk run keeps this one waiting).
    limits = httpx.Limits(keepalive_expiry=2)
    try:
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=600) as client:
            await wait_until_ready(client, server)
            token = await login(client)
            if args.people:
                profiler = start_profiler(server.pid, Path(f"{profile}-bulk.txt"), args.profile)
                began = time.perf_counter()
                bulk = expect(
                    await client.post(
                        f"/api/v1/campaigns/{province.campaign_id}/bulk-schedule",
                        json={"facility_id": province.facility_id, "limit": args.people},
                    ),
                    200,
                )
                bulk_seconds = time.perf_counter() - began
                stop_profiler(profiler)
        # The rest runs with wrk: the server keeps running until the end of this block.
        clients, seconds = args.clients, args.seconds

        def bookings(tag: str) -> list[str]:
            lua, people = str(workdir / "bookings.lua"), str(people_files[tag])
            dates = ",".join(d.isoformat() for d in province.walk_in_days[number])
            return [lua, people, province.facility_id, dates]

        baseline = measure("GET /healthz", "healthz", clients, seconds, base_url, token, "/healthz")
        read = f"/api/v1/sessions/{province.some_session}"
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
        profiler = start_profiler(server.pid, Path(f"{profile}-bookings.txt"), args.profile)
        cpu = wrk_load.cpu_seconds(server.pid) if args.workers == 1 else None
        singles = measure(
            booking, "bookings", clients, seconds, base_url, token, *bookings("bookings")
        )
        if cpu is not None:
            cpu = (wrk_load.cpu_seconds(server.pid) - cpu) / singles.result.requests * 1e6
        stop_profiler(profiler)
    finally:
        stop_server(server)
    turn = Turn(
        number, tree, bulk_seconds, bulk, [baseline, authenticated, serial, singles], {}, cpu
    )
    turn.on_server = server_durations(log)
    turn.figures = figures(turn)
    return turn


def figures(turn: Turn) -> dict[str, float]:
    """What the summary compares between trees, by name."""
    healthz, read, serial, singles = (phase.result for phase in turn.phases)
    found = {
        "GET /healthz req/s": healthz.rps,
        "GET /sessions/{id} req/s": read.rps,
        "GET /sessions/{id} p99 ms": read.p99,
        "booking, 1 client: p50 ms": serial.p50,
        "booking, 1 client: p99 ms": serial.p99,
        "booking, 1 client: req/s": serial.rps,
        "booking, N clients: req/s": singles.rps,
        "booking, N clients: p50 ms": singles.p50,
        "booking, N clients: p99 ms": singles.p99,
        "booking, N clients: non-2xx + errors": singles.non_2xx + singles.errors,
    }
    server = turn.on_server.get("bookings", [])
    if len(server) > 1:
        found["booking, N clients: server p50 ms"] = quantile(server, 50)
        found["booking, N clients: server p99 ms"] = quantile(server, 99)
    if turn.cpu is not None:
        found["booking, N clients: server µs CPU per booking"] = turn.cpu
    if turn.bulk_seconds is not None:
        found["bulk-schedule s"] = turn.bulk_seconds
    return found


async def run(
    args: argparse.Namespace, trees: list[Tree], database_url: str, workdir: Path
) -> None:
    started = time.perf_counter()
    turns_due = args.rounds * len(trees)
    # Each booking phase of each turn has its own people: as many as wrk could book at
    # --max-rate. Each turn's bulk run books --people due people of its own.
    allotted = {
        "warm-up": WARM_UP_SECONDS * args.max_rate,
        "serial": round(args.serial_seconds * args.max_rate),
        "bookings": round(args.seconds * args.max_rate),
    }
    due = args.people * turns_due
    walk_ins = await generate_people(
        database_url, due, turns_due * sum(allotted.values()), args.messages
    )
    generated = time.perf_counter() - started
    print(f"generated {due} due people and {len(walk_ins)} walk-ins in {generated:.1f} s")
    # Places: the bulk runs fill the first days; each turn's walk-ins are booked into three
    # days of its own at the end (set_up).
    per_day = 2 * args.capacity
    days = args.campaign_days or -(-due // per_day) + WALK_IN_DAYS * turns_due
    if per_day * (days - WALK_IN_DAYS * turns_due) < due:
        raise SystemExit("not enough places: raise --capacity or --campaign-days")
    people_files: list[dict[str, Path]] = []
    start = 0
    for number in range(turns_due):
        people_files.append({})
        for tag, count in allotted.items():
            path = people_files[number][tag] = workdir / f"people-{number}-{tag}.txt"
            path.write_text("\n".join(walk_ins[start : start + count]) + "\n")
            start += count
    (workdir / "bookings.lua").write_text(BOOKINGS_LUA)
    per_turn = sum(allotted.values())
    if -(-per_turn // (2 * WALK_IN_DAYS)) + 1 > MAX_CAPACITY:
        raise SystemExit(f"{per_turn} walk-ins per turn: more than the sessions can take")
    own = code_trees.own()
    province = await set_up(own, args, database_url, workdir, days, turns_due, per_turn)
    # Each tree its own copy of the province, at its own migration head (bench/trees.py).
    databases = {own: database_url} | {tree: database_url for tree in trees if tree.root is None}
    if trees[0].root is not None:
        began = time.perf_counter()
        for tree in trees:
            copy = code_trees.copy_database
            databases[tree] = await asyncio.to_thread(copy, database_url, tree, args.heads)
        print(f"copied the database for each tree in {time.perf_counter() - began:.0f} s")

    turns: list[Turn] = []
    for round_number in range(args.rounds):
        for tree in code_trees.in_turn(trees, round_number):
            number = len(turns)
            if args.messages:
                await booking_messages.cancel_backlog(databases[tree])
            with booking_messages.worker_for(tree, databases[tree], args.gateway, workdir):
                turn = await take_turn(
                    number, tree, args, databases[tree], workdir, province, people_files[number]
                )
            turns.append(turn)
            if turns_due > 1:
                print(progress(turn, args), flush=True)
    if turns_due == 1:
        report_one(turns[0], args)
    else:
        report_trees(turns, trees, args)
    print(f"\nload average at the start / the end: {args.load_before} / {os.getloadavg()[0]:.2f}")


def progress(turn: Turn, args: argparse.Namespace) -> str:
    f = turn.figures
    bulk = f"bulk {turn.bulk_seconds:.2f} s; " if turn.bulk_seconds is not None else ""
    cpu = f", {turn.cpu:.0f} µs CPU per booking" if turn.cpu is not None else ""
    return (
        f"turn {turn.number + 1} [{turn.tree.label}]: {bulk}bookings at {args.clients} clients "
        f"{f['booking, N clients: req/s']:.0f} req/s, p50 {f['booking, N clients: p50 ms']:.1f} "
        f"ms, p99 {f['booking, N clients: p99 ms']:.1f} ms{cpu}; one client p50 "
        f"{f['booking, 1 client: p50 ms']:.1f} ms; GET /healthz {f['GET /healthz req/s']:.0f} "
        f"req/s"
    )


def report_one(turn: Turn, args: argparse.Namespace) -> None:
    """One tree, one turn: the bulk run, the four phases and the targets of issue 4."""
    bulk = turn.bulk or {"booked": [], "not_booked": []}
    refused = Counter(n["reason"] for n in bulk["not_booked"])
    print(f"\nBooking benchmark: PostgreSQL, {args.workers} uvicorn worker(s)", end="")
    print(f"{' on CPU 0' if args.workers == 1 else ''}, wrk on CPU 1\n")
    if turn.bulk_seconds is not None:
        target = 20.0 * args.people / 10_000
        print(
            f"bulk-schedule of {args.people} due people: {turn.bulk_seconds:.2f} s "
            f"({len(bulk['booked'])} booked, {sum(refused.values())} not booked "
            f"{dict(refused)}); target < {target:.0f} s: "
            f"{'met' if turn.bulk_seconds < target else 'MISSED'}\n"
        )
    header = ["request", "clients", "p50 ms", "p99 ms", "server p50", "server p99", "req/s", ""]
    print_table(header, [latency_row(phase, turn.on_server) for phase in turn.phases])
    baseline, authenticated, _, singles = turn.phases
    p99 = singles.result.p99

    def ratios(base: Phase) -> str:
        p50 = singles.result.p50 / base.result.p50
        return f"p50 {p50:.1f}x, p99 {p99 / base.result.p99:.1f}x"

    cpu = f"{turn.cpu:.0f} µs" if turn.cpu is not None else "not measured (several workers)"
    print(
        f"\nsingle booking p99 at {args.clients} clients: {p99:.1f} ms; target < 100 ms: "
        f"{'met' if p99 < 100 else 'MISSED'}"
        f"\nratios at {args.clients} clients, booking / GET /healthz: {ratios(baseline)}; "
        f"booking / GET /sessions/{{id}}: {ratios(authenticated)}"
        f"\nserver CPU per booking at {args.clients} clients: {cpu}"
        f"\n(server p50/p99: the app's own duration from its access log, without the time a "
        f"request waits for the event loop or in the socket backlog)"
    )


def report_trees(turns: list[Turn], trees: list[Tree], args: argparse.Namespace) -> None:
    """Each tree's medians over its turns, and each tree's ratios to the first."""
    reference = trees[0]
    names = list(dict.fromkeys(name for turn in turns for name in turn.figures))

    def values(tree: Tree, name: str) -> list[float]:
        return [t.figures[name] for t in turns if t.tree == tree and name in t.figures]

    def median(tree: Tree, name: str) -> float | None:
        found = values(tree, name)
        return statistics.median(found) if found else None

    header = ["figure (median over turns)", *(t.label for t in trees)]
    header += [f"{t.name} / {reference.name}" for t in trees[1:]]
    rows = []
    for name in names:
        shown = name.replace("N clients", f"{args.clients} clients")
        row = [shown]
        medians = [median(tree, name) for tree in trees]
        row += [f"{m:.1f}" if m is not None else "-" for m in medians]
        base = medians[0]
        row += [f"{m / base:.3f}" if m is not None and base else "-" for m in medians[1:]]
        rows.append(row)
    print(
        f"\nBooking benchmark: PostgreSQL, {args.rounds} rounds, one turn of each tree per "
        f"round (the order alternating), {args.workers} uvicorn worker(s)"
        f"{' on CPU 0' if args.workers == 1 else ''}, wrk on CPU 1\n"
    )
    print_table(header, rows)
    print()
    p99, rps = "booking, N clients: p99 ms", "booking, N clients: req/s"
    for tree in trees:
        p99s = " ".join(f"{v:.1f}" for v in values(tree, p99))
        rates = " ".join(f"{v:.0f}" for v in values(tree, rps))
        print(f"{tree.label} per turn at {args.clients} clients: p99 ms {p99s}; req/s {rates}")
    for tree in trees[1:]:
        pairs = zip(values(tree, p99), values(reference, p99), strict=True)
        p99s = " ".join(f"{a / b:.2f}" for a, b in pairs)
        pairs = zip(values(tree, rps), values(reference, rps), strict=True)
        rates = " ".join(f"{a / b:.2f}" for a, b in pairs)
        print(f"{tree.name} / {reference.name} round by round: p99 {p99s}; req/s {rates}")
    targets = [
        (f"booking p99 at {args.clients} clients", p99, "<= 1.20"),
        (f"bookings per second at {args.clients} clients", rps, ">= 0.90"),
    ]
    if args.messages:  # issue 25 names throughput alone
        targets = targets[1:]
    verdicts = []
    for tree in trees[1:]:
        pair = f"{tree.name} / {reference.name}"
        for name, figure, target in targets:
            value = statistics.median(values(tree, figure)) / statistics.median(
                values(reference, figure)
            )
            operator, bound = target.split()
            met = value <= float(bound) if operator == "<=" else value >= float(bound)
            verdicts.append([f"{name}, {pair}", f"{value:.2f}", target, "met" if met else "MISSED"])
    if verdicts:
        print()
        issue = "issue 25" if args.messages else "issue 21"
        print_table([f"target ({issue})", "value", "target", ""], verdicts)


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
    parser.add_argument(
        "--people", type=int, default=10_000, help="due people to bulk-book (per turn; 0: none)"
    )
    code_trees.add_argument(parser)
    parser.add_argument(
        "--rounds", type=int, default=None, help="default: 1, or 4 when trees are compared"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the server's bulk run")
    parser.add_argument(
        "--messages",
        action="store_true",
        help="compare messages off and on, this tree (bench/booking_messages.py)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the server log afterwards"
    )
    args = parser.parse_args()
    args.load_before = f"{os.getloadavg()[0]:.2f}"
    args.secret = secrets.token_hex(32)
    wrk_load.require()
    trees = code_trees.parse(args.tree)
    gateway = args.gateway = None
    if args.messages:
        if args.tree:
            raise SystemExit("--messages compares two variants of this tree: no --tree")
        gateway = args.gateway = booking_messages.Gateway().start()
        trees = booking_messages.variants(trees[0], gateway)
    if args.rounds is None:
        args.rounds = 4 if len(trees) > 1 else 1
    args.heads = code_trees.describe(trees)

    base = args.database_url
    if not base.startswith("postgresql"):
        raise SystemExit("the benchmark runs on PostgreSQL")
    database_url = make_url(base).set(database=args.database).render_as_string(hide_password=False)
    asyncio.run(admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    asyncio.run(admin_execute(base, f'CREATE DATABASE "{args.database}"'))
    workdir = Path(tempfile.mkdtemp(prefix="bench_booking_"))
    began = time.monotonic()
    try:
        migrate.upgrade(database_url)
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {1})  # the load generator; the server gets CPU 0
        asyncio.run(run(args, trees, database_url, workdir))
    finally:
        if gateway is not None:
            gateway.stop()
            print(f"the gateway stand-in took {len(gateway.accepted)} messages")
        print(f"took {time.monotonic() - began:.0f} s")
        if args.keep:
            print(f"kept database {args.database} (and each tree's copy)")
        else:
            asyncio.run(
                admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            )
            for tree in trees if args.tree else ():
                code_trees.drop_database(database_url, tree)
        if args.keep or args.profile:
            print(f"server log and profiles kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
