"""The waitlist under concurrency on PostgreSQL: places freed at once are held for as many
different people, never twice for one place nor for one person; an offer is booked once
however many times it is accepted at once; a lapsed hold passes on once while its accepts,
and other sweeps, race it. 20 rounds, each on a day of its own.

Every request runs in its own transaction on a committed database of its own (an app on a real
engine, its requests gathered at once), and the counters are checked against the appointments
and the holds by querying the database directly after each step.
"""

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_URL_VARIABLE, _pg_execute
from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.identity.passwords import hash_secret
from veteran_care.identity.tokens import issue_access_token
from veteran_care.main import create_app, use_engine
from veteran_care.models import (
    Account,
    AccountKind,
    Appointment,
    AppointmentStatus,
    Role,
    Session,
    WaitlistEntry,
    WaitlistStatus,
)

pytestmark = pytest.mark.slow

ROUNDS = 20
CODE = "ultrasound"
CAPACITY = 4  # a session; two a day (morning, afternoon)
BOOKERS = 2 * CAPACITY
WAITERS = 6
FREED = 5  # fewer than those waiting: every freed place is held, none is left free
# Statuses that hold a place, spelled out here rather than taken from the code under test.
SEAT_HOLDING = (
    AppointmentStatus.booked,
    AppointmentStatus.checked_in,
    AppointmentStatus.fulfilled,
    AppointmentStatus.noshow,
)


@pytest.fixture(scope="module")
def fresh_url(backend: str) -> Iterator[str]:
    if backend != "postgresql":
        pytest.skip(
            "PostgreSQL only: SQLite runs one write transaction at a time, so nothing races"
        )
    base = os.environ[TEST_URL_VARIABLE]
    name = f"vc_waitlist_race_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_execute(base, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {base}: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def served(fresh_url: str, settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.model_copy(update={"database_url": fresh_url}))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def api(served: AsyncEngine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A province-wide admin and scheduler on an app whose requests commit."""
    async with create_sessionmaker(served)() as session:
        account = Account(
            kind=AccountKind.user,
            login=f"race-{uuid.uuid4().hex[:8]}",
            display_name="Nhân viên Thử nghiệm",
            secret_hash=hash_secret("correct horse battery staple"),
            roles=sorted([Role.admin.value, Role.scheduler.value]),
            province_wide=True,
        )
        session.add(account)
        await session.commit()
    app = create_app(settings.model_copy(update={"database_url": str(served.url)}))
    use_engine(app, served)
    token = issue_access_token(settings.secret_key, account.id, datetime.now(UTC), 60)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ) as client:
        yield client


async def check_places(engine: AsyncEngine, when: date) -> dict[WaitlistStatus, int]:
    """Each session of the day counts exactly its appointments and its holds, within its
    capacity; nobody holds two places; answers the day's waitlist entries by status."""
    async with engine.connect() as connection:
        sessions = (
            await connection.execute(
                select(Session.id, Session.booked, Session.capacity).where(
                    Session.date == when, Session.specialty_code == CODE
                )
            )
        ).all()
        for session_id, booked, capacity in sessions:
            appointments = await connection.scalar(
                select(func.count()).where(
                    Appointment.session_id == session_id, Appointment.status.in_(SEAT_HOLDING)
                )
            )
            holds = await connection.scalar(
                select(func.count()).where(
                    WaitlistEntry.offered_session_id == session_id,
                    WaitlistEntry.status == WaitlistStatus.offered,
                )
            )
            assert booked == appointments + holds, (session_id, booked, appointments, holds)
            assert booked <= capacity
        people = (
            await connection.execute(
                select(Appointment.beneficiary_id).where(
                    Appointment.date == when,
                    Appointment.specialty_code == CODE,
                    Appointment.status.in_(SEAT_HOLDING),
                )
            )
        ).scalars()
        holders = (
            await connection.execute(
                select(WaitlistEntry.beneficiary_id).where(
                    WaitlistEntry.status == WaitlistStatus.offered,
                    WaitlistEntry.date_from == when,
                )
            )
        ).scalars()
        twice = [p for p, n in Counter([*people, *holders]).items() if n > 1]
        assert twice == [], f"places held or booked twice for {twice}"
        statuses = (
            await connection.execute(
                select(WaitlistEntry.status, func.count())
                .where(WaitlistEntry.date_from == when)
                .group_by(WaitlistEntry.status)
            )
        ).all()
    return {WaitlistStatus(s): n for s, n in statuses}


async def one_round(
    api: httpx.AsyncClient,
    engine: AsyncEngine,
    clinic: dict[str, Any],
    people: dict[str, list[dict[str, Any]]],
    offset: int,
) -> None:
    when = day(offset)
    the_day = date.fromisoformat(when)
    checkups = []
    for person in people["bookers"]:
        booked = await book(api, clinic, person, when, [CODE])
        assert booked.status_code == 201, booked.text
        checkups.append(booked.json())
    entries = []
    for person in people["waiters"]:
        joined = await api.post(
            "/api/v1/waitlist",
            json={
                "beneficiary_id": person["id"],
                "facility_id": clinic["id"],
                "specialty_code": CODE,
                "date_from": when,
            },
        )
        assert joined.status_code == 201, joined.text
        entries.append(joined.json()["id"])

    # Places freed at once, while others try to book the day.
    cancels = [
        api.post(
            f"/api/v1/checkups/{c['id']}/cancel",
            json={"cancelled_by": "patient", "reason": "Ốm"},
        )
        for c in checkups[:FREED]
    ]
    strangers = [book(api, clinic, p, when, [CODE]) for p in people["strangers"]]
    answers = await asyncio.gather(*cancels, *strangers)
    assert [a.status_code for a in answers[:FREED]] == [200] * FREED, answers[0].text
    assert {a.json()["code"] for a in answers[FREED:]} == {"session-full"}
    counted = await check_places(engine, the_day)
    assert counted == {WaitlistStatus.offered: FREED, WaitlistStatus.waiting: WAITERS - FREED}

    # Each offer accepted twice at once; one hold lapses while its accepts and sweeps race.
    async with engine.begin() as connection:
        await connection.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == uuid.UUID(entries[0]))
            .values(hold_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    accepts = [api.post(f"/api/v1/waitlist/{e}/accept") for e in entries[:FREED] for _ in (1, 2)]
    sweeps = [api.get("/api/v1/waitlist", params={"facility_id": clinic["id"]}) for _ in (1, 2)]
    answers = await asyncio.gather(*accepts, *sweeps)
    by_entry = [sorted(a.status_code for a in answers[i : i + 2]) for i in range(0, 2 * FREED, 2)]
    assert by_entry[0] == [409, 409]  # lapsed before anyone accepted it
    assert by_entry[1:] == [[201, 409]] * (FREED - 1), [a.text for a in answers]
    counted = await check_places(engine, the_day)
    assert counted == {
        WaitlistStatus.booked: FREED - 1,
        WaitlistStatus.lapsed: 1,
        WaitlistStatus.offered: 1,  # the last in line got the lapsed place
    }
    left = await api.post(f"/api/v1/waitlist/{entries[-1]}/withdraw")
    assert left.status_code == 200, left.text
    await check_places(engine, the_day)


async def test_no_place_is_held_or_given_twice(api: httpx.AsyncClient, served: AsyncEngine) -> None:
    clinic = await make_clinic(api, capacity=CAPACITY, days=ROUNDS + 1, specialties=[CODE])
    people = {
        "bookers": [await person_with_card(api) for _ in range(BOOKERS)],
        "waiters": [await person_with_card(api) for _ in range(WAITERS)],
        "strangers": [await person_with_card(api) for _ in range(2)],
    }
    for offset in range(1, ROUNDS + 1):
        await one_round(api, served, clinic, people, offset)
