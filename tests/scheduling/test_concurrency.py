"""Concurrency through a real uvicorn on 127.0.0.1: the last place of a session goes to exactly one
booking; a bulk run racing single bookings never overbooks nor books anyone twice; bookings that
fall back to their second-choice session do not deadlock (every candidate session is locked in
id order before seats are taken).

One server per module, on a fresh database of the suite's backend (a SQLite file, or a new
PostgreSQL database next to ``VETERAN_CARE_TEST_DATABASE_URL``). Counters are checked against the
appointments by querying the database directly. Run with ``-s`` to see the timings.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests.conftest import TEST_SECRET, TEST_URL_VARIABLE, _pg_execute
from tests.factories import create_beneficiary
from tests.scheduling.conftest import SPECIALTIES, book, day, make_clinic, sessions_on
from veteran_care.models import Appointment, AppointmentStatus, Checkup, CheckupStatus, Session

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "concurrency-test-" + "p" * 16
# Statuses that hold a place, spelled out here rather than taken from the code under test.
SEAT_HOLDING = (
    AppointmentStatus.booked,
    AppointmentStatus.checked_in,
    AppointmentStatus.fulfilled,
    AppointmentStatus.noshow,
)
# Each scenario draws its people from a commune of its own, so that one never feeds the other's
# due list.
RACE_COMMUNE = "03328"
BULK_COMMUNE = "03127"
SINGLES_COMMUNE = "03325"
SETUP_CLIENTS = 8
READY_SECONDS = 60
STOP_SECONDS = 10

T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    race_clients: int
    race_rounds: int
    due_people: int
    single_bookings: int
    crossing_clients: int


# SQLite serialises writers: fewer clients, shorter run; the invariant is the same.
SIZES = {
    "postgresql": Sizes(
        race_clients=50, race_rounds=20, due_people=300, single_bookings=40, crossing_clients=12
    ),
    "sqlite": Sizes(
        race_clients=10, race_rounds=5, due_people=60, single_bookings=10, crossing_clients=10
    ),
}


@dataclass(frozen=True)
class Server:
    base_url: str
    database_url: str
    token: str
    sizes: Sizes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def fresh_database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the suite's backend that nothing else uses; the server migrates it."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('concurrency') / 'server.db'}"
        return
    base = os.environ[TEST_URL_VARIABLE]
    name = f"vc_concurrency_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_execute(base, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {base}: {exc}")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


@pytest.fixture(scope="module")
def server(
    backend: str, fresh_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`veteran-care serve` in a subprocess; stopped at module teardown, whatever happened."""
    workdir = tmp_path_factory.mktemp("server")
    command = shutil.which("veteran-care", path=str(Path(sys.executable).parent))
    assert command, "the veteran-care script is not installed next to this Python"
    port = _free_port()
    env = {
        **os.environ,
        "VETERAN_CARE_DATABASE_URL": fresh_database_url,
        "VETERAN_CARE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "VETERAN_CARE_ENVIRONMENT": "test",
        "VETERAN_CARE_SECRET_KEY": TEST_SECRET,
        "VETERAN_CARE_DATA_DIR": str(workdir),
        "VETERAN_CARE_LOG_LEVEL": "WARNING",
        # 50 clients share 20 pooled connections: on a loaded two-core machine a wait can pass
        # the 5 s default, which is a correct 503 but not what these tests are about.
        "VETERAN_CARE_DB_POOL_TIMEOUT": "30",
    }
    base_url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,  # no stray .env is read
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(process, base_url, log_path)
            token = _token(base_url)
            yield Server(base_url, fresh_database_url, token, SIZES[backend])
        finally:
            _stop(process)
    tracebacks = log_path.read_text(errors="replace").count("Traceback")
    if tracebacks:
        print(f"\n[server] {tracebacks} tracebacks in {log_path}; the last lines:")
        print(_log_tail(log_path, 6))


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    with httpx.Client(base_url=base_url, timeout=2) as probe:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{_log_tail(log_path)}")
            try:
                if probe.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    pytest.fail(f"the server was not ready within {READY_SECONDS} s:\n{_log_tail(log_path)}")


def _token(base_url: str) -> str:
    response = httpx.post(
        f"{base_url}/api/v1/auth/token",
        data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """Logged in as the first admin; as many connections as the widest race needs."""
    sizes = server.sizes
    clients = max(sizes.race_clients, sizes.single_bookings, sizes.crossing_clients, SETUP_CLIENTS)
    async with httpx.AsyncClient(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {server.token}"},
        # Idle connections are dropped before the server's 5 s keep-alive closes them: reusing one
        # the server is closing at that moment fails with ReadError (seen on a loaded machine).
        limits=httpx.Limits(
            max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2
        ),
        timeout=60,
    ) as client:
        yield client


# Helpers ---------------------------------------------------------------------------------------


async def staff_client(
    api: httpx.AsyncClient, server: Server, role: str, facility_id: str, connections: int
) -> httpx.AsyncClient:
    """A new account of one role at one facility, created through the API, logged in."""
    username, password = f"{role[:5]}-{facility_id[:8]}", f"{role}-password-2027"
    created = await api.post(
        "/api/v1/users",
        json={
            "username": username,
            "full_name": "Nhân viên Thử",
            "password": password,
            "roles": [role],
            "facility_ids": [facility_id],
        },
    )
    assert created.status_code == 201, created.text
    token = await api.post("/api/v1/auth/token", data={"username": username, "password": password})
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        # Idle connections are dropped before the server's 5 s keep-alive closes them (httpx's
        # default expiry is also 5 s: a POST on a connection the server was closing failed with
        # ReadError in CI).
        limits=httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2
        ),
        timeout=60,
    )


async def run_limited(calls: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run the calls concurrently, at most ``limit`` at a time; results in call order."""
    results: dict[int, T] = {}
    limiter = anyio.CapacityLimiter(limit)

    async def one(index: int, call: Callable[[], Awaitable[T]]) -> None:
        async with limiter:
            results[index] = await call()

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(one, index, call)
    return [results[i] for i in range(len(calls))]


async def all_at_once(calls: Sequence[Callable[[], Awaitable[T]]]) -> tuple[list[T], float]:
    """Start every call, then release them together (the client's pool must fit them all).
    Also returns the seconds from the release to the last answer."""
    go = anyio.Event()
    results: dict[int, T] = {}

    async def one(index: int, call: Callable[[], Awaitable[T]]) -> None:
        await go.wait()
        results[index] = await call()

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(one, index, call)
        await anyio.sleep(0.05)  # every task is waiting on the starting gun
        fired = time.perf_counter()
        go.set()
    return [results[i] for i in range(len(calls))], time.perf_counter() - fired


async def warm_up(client: httpx.AsyncClient, connections: int) -> None:
    """Open the pool's connections first, so that a race starts on open sockets."""
    responses = await run_limited([lambda: client.get("/healthz")] * connections, connections)
    assert {r.status_code for r in responses} == {200}


async def people(client: httpx.AsyncClient, count: int, commune: str) -> list[dict[str, Any]]:
    """Due people (active, a category, never checked) with a card valid all around today."""
    year = int(day(0)[:4])

    async def person() -> dict[str, Any]:
        found = await create_beneficiary(client, commune_code=commune)
        card = await client.post(
            f"/api/v1/beneficiaries/{found['id']}/cards",
            json={
                "number": found["bhxh_number"],
                "valid_from": f"{year - 1}-01-01",
                "valid_to": f"{year + 1}-12-31",
                "registration_facility_code": "11001",
            },
        )
        assert card.status_code == 201, card.text
        return found

    return await run_limited([person] * count, SETUP_CLIENTS)


async def set_capacity(client: httpx.AsyncClient, found: dict[str, Any], capacity: int) -> None:
    response = await client.patch(
        f"/api/v1/sessions/{found['id']}",
        json={"capacity": capacity},
        headers={"If-Match": f'"{found["version"]}"'},
    )
    assert response.status_code == 200, response.text


def problem_code(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        return str(response.json().get("code"))
    return ""


def outcome(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, problem_code(response)


async def on_database(database_url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Read the server's database directly (not through the API under test)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await work(connection)
    finally:
        await engine.dispose()


async def assert_no_overbooking(database_url: str) -> int:
    """Every session: booked == its place-holding appointments, and booked <= capacity."""

    async def read(connection: AsyncConnection) -> list[Any]:
        holding = (
            select(Appointment.session_id, func.count().label("holding"))
            .where(Appointment.status.in_(SEAT_HOLDING))
            .group_by(Appointment.session_id)
            .subquery()
        )
        stmt = select(
            Session.id,
            Session.capacity,
            Session.booked,
            func.coalesce(holding.c.holding, 0).label("holding"),
        ).outerjoin(holding, holding.c.session_id == Session.id)
        return list((await connection.execute(stmt)).all())

    rows = await on_database(database_url, read)
    wrong = [row for row in rows if row.booked != row.holding or row.booked > row.capacity]
    assert not wrong, f"sessions whose counters are wrong (id, capacity, booked, holding): {wrong}"
    return len(rows)


# Last place ------------------------------------------------------------------------------------


async def test_last_place_goes_to_exactly_one_of_many_concurrent_bookings(
    api: httpx.AsyncClient, server: Server
) -> None:
    clients, rounds = server.sizes.race_clients, server.sizes.race_rounds
    started = time.perf_counter()
    clinic = await make_clinic(api, capacity=3, days=rounds + 1, specialties=["ultrasound"])
    racers = await people(api, clients, RACE_COMMUNE)
    await warm_up(api, clients)
    print(
        f"\n[last place] {clients} clients x {rounds} rounds; "
        f"setup {time.perf_counter() - started:.1f} s"
    )
    timings = []
    for round_number in range(rounds):
        when = day(1 + round_number)  # a new day each round: the same people may race again
        morning, afternoon = sorted(
            await sessions_on(api, clinic, when), key=lambda s: s["part_of_day"] != "morning"
        )
        await set_capacity(api, morning, 1)
        await set_capacity(api, afternoon, 0)  # no second session to fall back on

        responses, seconds = await all_at_once(
            [partial(book, api, clinic, person, when, ["ultrasound"]) for person in racers]
        )
        timings.append(seconds)

        outcomes = Counter(outcome(r) for r in responses)
        assert outcomes == {(201, ""): 1, (409, "session-full"): clients - 1}, (
            f"round {round_number}: {outcomes}; "
            f"{[r.text for r in responses if r.status_code not in (201, 409)][:3]}"
        )
        winner = next(r.json() for r in responses if r.status_code == 201)
        assert [a["session_id"] for a in winner["appointments"]] == [morning["id"]]
        after = {s["part_of_day"]: s for s in await sessions_on(api, clinic, when)}
        assert (after["morning"]["booked"], after["morning"]["capacity"]) == (1, 1)
        assert (after["afternoon"]["booked"], after["afternoon"]["capacity"]) == (0, 0)

    checked = await assert_no_overbooking(server.database_url)
    timings.sort()
    print(
        f"[last place] {rounds} rounds done: exactly 1 x 201 and {clients - 1} x 409 each; "
        f"round time median {timings[len(timings) // 2] * 1000:.0f} ms, "
        f"max {timings[-1] * 1000:.0f} ms; {checked} sessions' counters match their "
        f"appointments; total {time.perf_counter() - started:.1f} s"
    )


# Bulk run racing single bookings --------------------------------------------------------------


async def campaign_checkups(database_url: str, campaign_id: str) -> list[Any]:
    async def read(connection: AsyncConnection) -> list[Any]:
        stmt = select(Checkup.id, Checkup.beneficiary_id, Checkup.status).where(
            Checkup.campaign_id == uuid.UUID(campaign_id),
            Checkup.status.not_in((CheckupStatus.cancelled, CheckupStatus.entered_in_error)),
        )
        return list((await connection.execute(stmt)).all())

    return await on_database(database_url, read)


async def appointment_statuses(database_url: str, checkup_ids: Sequence[str]) -> Counter[str]:
    async def read(connection: AsyncConnection) -> Counter[str]:
        stmt = select(Appointment.status).where(
            Appointment.checkup_id.in_([uuid.UUID(i) for i in checkup_ids])
        )
        return Counter(str(s) for s in (await connection.scalars(stmt)).all())

    return await on_database(database_url, read)


async def test_bulk_run_racing_single_bookings_never_overbooks_nor_books_twice(
    api: httpx.AsyncClient, server: Server
) -> None:
    due_count, singles_count = server.sizes.due_people, server.sizes.single_bookings
    started = time.perf_counter()
    campaign_days = [day(1), day(2), day(3)]
    # Places run out: about 70% of the demand fits, ophthalmology afternoons are tighter still.
    capacity = max(2, (due_count + singles_count) * 7 // 10 // (2 * len(campaign_days)))
    clinic = await make_clinic(api, capacity=capacity, days=len(campaign_days))
    for when in campaign_days:
        for found in await sessions_on(api, clinic, when):
            if (found["specialty_code"], found["part_of_day"]) == ("ophthalmology", "afternoon"):
                await set_capacity(api, found, capacity // 2)
    due = await people(api, due_count, BULK_COMMUNE)
    walk_ins = await people(api, singles_count, SINGLES_COMMUNE)
    created = await api.post(
        "/api/v1/campaigns",
        json={
            "name": "Khám định kỳ 27/7 (concurrency test)",
            "starts_on": campaign_days[0],
            "ends_on": campaign_days[-1],
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": SPECIALTIES,
        },
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    bulk_body = {"facility_id": clinic["id"], "commune_codes": [BULK_COMMUNE], "limit": 10000}
    await warm_up(api, singles_count)
    print(
        f"\n[bulk race] {due_count} due people, {singles_count} single bookings, capacity "
        f"{capacity} per session over {len(campaign_days)} days; "
        f"setup {time.perf_counter() - started:.1f} s"
    )

    bulk: dict[str, Any] = {}
    singles: list[tuple[dict[str, Any], float, httpx.Response]] = []
    t0 = time.perf_counter()

    async def run_bulk() -> None:
        response = await api.post(
            f"/api/v1/campaigns/{campaign['id']}/bulk-schedule", json=bulk_body
        )
        bulk["response"], bulk["seconds"] = response, time.perf_counter() - t0

    async def book_single(index: int, person: dict[str, Any]) -> None:
        await anyio.sleep(index * 0.02)  # spread over the bulk run, not all before it starts
        when = campaign_days[index % len(campaign_days)]
        response = await book(api, clinic, person, when, campaign_id=campaign["id"])
        singles.append((person, time.perf_counter() - t0, response))

    async with anyio.create_task_group() as group:
        group.start_soon(run_bulk)
        for index, person in enumerate(walk_ins):
            group.start_soon(book_single, index, person)

    response = bulk["response"]
    assert response.status_code == 200, response.text
    result = response.json()
    booked = {b["beneficiary_id"]: b for b in result["booked"]}
    refused = {n["beneficiary_id"]: n["reason"] for n in result["not_booked"]}
    during = sum(1 for _, at, _ in singles if at <= bulk["seconds"])
    single_outcomes = Counter(outcome(r) for _, _, r in singles)
    print(
        f"[bulk race] bulk run {bulk['seconds']:.2f} s: {len(booked)} booked, {len(refused)} "
        f"not booked {dict(Counter(refused.values()))}; single bookings {dict(single_outcomes)}, "
        f"{during} of them answered while the bulk run was going"
    )

    # Everyone of the commune is answered for, once; places did run out.
    assert len(result["booked"]) == len(booked)
    assert not set(booked) & set(refused)
    assert set(booked) | set(refused) == {p["id"] for p in due}
    assert set(refused.values()) == {"no-place-left"}
    # Staff booking at the same time get a seat or a clean "full", never an error.
    assert set(single_outcomes) <= {(201, ""), (409, "session-full")}, [
        r.text for _, _, r in singles if r.status_code not in (201, 409)
    ][:3]
    singles_booked = {p["id"]: r.json() for p, _, r in singles if r.status_code == 201}

    await assert_no_overbooking(server.database_url)
    in_campaign = await campaign_checkups(server.database_url, campaign["id"])
    per_person = Counter(str(row.beneficiary_id) for row in in_campaign)
    assert max(per_person.values()) == 1, "someone is booked twice in the campaign"
    assert set(per_person) == set(booked) | set(singles_booked)
    # Every 201 is real: the checkup and its three appointments are there and booked.
    kept = {str(row.id) for row in in_campaign}
    single_checkups = [c["id"] for c in singles_booked.values()]
    assert set(single_checkups) <= kept
    assert {c["checkup_id"] for c in booked.values()} <= kept
    statuses = await appointment_statuses(server.database_url, single_checkups)
    assert statuses == {"booked": len(SPECIALTIES) * len(single_checkups)}
    for when in campaign_days:
        for found in await sessions_on(api, clinic, when):
            assert found["booked"] <= found["capacity"], found

    # More places on the last day; the rerun books only people not booked yet.
    for found in await sessions_on(api, clinic, campaign_days[-1]):
        await set_capacity(api, found, found["capacity"] + 5)
    again = await api.post(f"/api/v1/campaigns/{campaign['id']}/bulk-schedule", json=bulk_body)
    assert again.status_code == 200, again.text
    rerun = {b["beneficiary_id"] for b in again.json()["booked"]}
    assert rerun, "the rerun found the new places"
    assert not rerun & set(booked), "the rerun booked someone twice"
    assert rerun <= set(refused)
    await assert_no_overbooking(server.database_url)
    per_person = Counter(
        str(r.beneficiary_id) for r in await campaign_checkups(server.database_url, campaign["id"])
    )
    assert max(per_person.values()) == 1
    assert len(per_person) == len(booked) + len(singles_booked) + len(rerun)
    print(
        f"[bulk race] rerun booked {len(rerun)} new people, nobody twice; "
        f"total {time.perf_counter() - started:.1f} s"
    )


# Bookings whose first choices are full -----------------------------------------------------------

CROSSING = ["ultrasound", "ophthalmology"]
CROSSING_DAYS = 2


def crossing_roles(by_key: dict[tuple[str, str], dict[str, Any]]) -> tuple[str, str] | None:
    """(A, B) such that A's afternoon id < B's and B's morning id < A's, if the day has them.

    With A's afternoon and B's morning full, a booking without preference (afternoon first)
    takes A's morning, then B's afternoon; one preferring mornings takes B's afternoon, then A's
    morning: two orders over the same two rows, unless seats are taken in one global order.
    """
    ids = {key: found["id"] for key, found in by_key.items()}
    for a, b in (CROSSING, CROSSING[::-1]):
        if ids[a, "afternoon"] < ids[b, "afternoon"] and ids[b, "morning"] < ids[a, "morning"]:
            return a, b
    return None


async def test_bookings_falling_back_to_their_second_choice_do_not_deadlock(
    api: httpx.AsyncClient, server: Server
) -> None:
    clients = server.sizes.crossing_clients
    started = time.perf_counter()
    clinic = await make_clinic(api, capacity=clients, days=0, specialties=CROSSING)
    crowd = await people(api, clients, RACE_COMMUNE)
    days: list[tuple[str, str, str]] = []
    offset = 0
    while len(days) < CROSSING_DAYS and offset < 120:  # a day qualifies with probability 1/2
        offset += 1
        when = day(offset)
        generated = await api.post(
            "/api/v1/sessions/generate",
            json={
                "facility_id": clinic["id"],
                "date_from": when,
                "date_to": when,
                "skip_public_holidays": False,
            },
        )
        assert generated.status_code == 200, generated.text
        by_key = {
            (s["specialty_code"], s["part_of_day"]): s for s in await sessions_on(api, clinic, when)
        }
        roles = crossing_roles(by_key)
        if roles is not None:
            a, b = roles
            await set_capacity(api, by_key[a, "afternoon"], 0)
            await set_capacity(api, by_key[b, "morning"], 0)
            days.append((when, a, b))
    assert len(days) == CROSSING_DAYS
    await warm_up(api, clients)

    preferences = [{"part_of_day": "morning"} if i % 2 else {} for i in range(clients)]
    outcomes: Counter[tuple[int, str]] = Counter()
    for when, _, _ in days:
        responses, _ = await all_at_once(
            [
                partial(book, api, clinic, person, when, CROSSING, **preference)
                for person, preference in zip(crowd, preferences, strict=True)
            ]
        )
        outcomes.update(outcome(r) for r in responses)
    print(
        f"\n[crossing] {clients} clients x {len(days)} days, half preferring mornings, first "
        f"choices full: {dict(outcomes)}; {time.perf_counter() - started:.1f} s"
    )
    await assert_no_overbooking(server.database_url)
    # There are places for everyone: every booking gets one.
    assert outcomes == {(201, ""): clients * len(days)}
