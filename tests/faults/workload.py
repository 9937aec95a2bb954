"""The write load of the fault tests, what was acknowledged, and the checks on the database.

Bookings: each request is a (person, day) pair used once, for two specialties, so that a
checkup in the database can be traced to the one request that may have made it. Dispenses: each
carries a tag of its own in its instructions. A 2xx is an acknowledgement: that row must be
found afterwards, exactly once; a request that got no answer (the server was killed) may or may
not have happened, but nothing that was never asked for may appear.
"""

import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import anyio
import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests.conftest import TEST_SECRET
from tests.scheduling.conftest import day, make_clinic, person_with_card
from veteran_care.audit.sealer import seal
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine
from veteran_care.identity.passwords import hash_secret
from veteran_care.identity.tokens import issue_access_token
from veteran_care.main import create_app, use_engine
from veteran_care.models import (
    Account,
    AccountKind,
    Appointment,
    AppointmentStatus,
    Checkup,
    Dispense,
    DispenseLot,
    LedgerEntry,
    Session,
    StockLot,
)

T = TypeVar("T")

SPECIALTIES = ["ultrasound", "ophthalmology"]
ALL_ROLES = ["admin", "scheduler", "clinician", "pharmacist", "reporter", "auditor"]
OPERATOR_PASSWORD = "fault-operator-password-2027"
SEAT_HOLDING = (
    AppointmentStatus.booked,
    AppointmentStatus.checked_in,
    AppointmentStatus.fulfilled,
    AppointmentStatus.noshow,
)
TAG = "thẻ "  # dispenses carry "<instructions> thẻ <hex>"


@dataclass
class World:
    facility_id: str
    clinic: dict[str, Any]
    people: list[str]
    medicine_id: str


@dataclass
class Acks:
    """What the server acknowledged, and what was asked without an answer."""

    checkups: dict[str, tuple[str, str, set[str]]] = field(default_factory=dict)
    dispenses: dict[str, tuple[str, int]] = field(default_factory=dict)
    lots: dict[str, str] = field(default_factory=dict)  # lot id -> lot number
    asked_pairs: set[tuple[str, str]] = field(default_factory=set)
    asked_tags: set[str] = field(default_factory=set)
    refused: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0

    def assert_refusals_are(self, *allowed: str) -> None:
        """Every answer that was not a 2xx was one of these (never a 500)."""
        unexpected = set(self.refused) - set(allowed)
        assert not unexpected, f"unexpected answers: {self.refused}"


LIMITS_REACHED = ("booking 409 session-full", "dispense 409 insufficient-stock")


async def run_limited(calls: list[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    results: dict[int, T] = {}
    limiter = anyio.CapacityLimiter(limit)

    async def one(index: int, call: Callable[[], Awaitable[T]]) -> None:
        async with limiter:
            results[index] = await call()

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(one, index, call)
    return [results[i] for i in range(len(calls))]


async def operator_token(api: httpx.AsyncClient) -> str:
    """A province-wide user with every role, created through the API; its access token."""
    username = f"op-{uuid.uuid4().hex[:8]}"
    created = await api.post(
        "/api/v1/users",
        json={
            "username": username,
            "full_name": "Người vận hành Thử",
            "password": OPERATOR_PASSWORD,
            "roles": ALL_ROLES,
            "province_wide": True,
        },
    )
    assert created.status_code == 201, created.text
    token = await api.post(
        "/api/v1/auth/token", data={"username": username, "password": OPERATOR_PASSWORD}
    )
    assert token.status_code == 200, token.text
    value: str = token.json()["access_token"]
    return value


async def prepare(api: httpx.AsyncClient, *, people: int, days: int, capacity: int) -> World:
    """A clinic with two specialties and sessions for ``days`` days, people with cards, and a
    medicine to dispense there."""
    clinic = await make_clinic(api, capacity=capacity, days=days, specialties=SPECIALTIES)
    persons = await run_limited([lambda: person_with_card(api)] * people, 8)
    medicines = await api.get("/api/v1/medicines", params={"atc": "N02BE01"})
    assert medicines.status_code == 200, medicines.text
    return World(
        facility_id=clinic["id"],
        clinic=clinic,
        people=[p["id"] for p in persons],
        medicine_id=medicines.json()["items"][0]["id"],
    )


async def receive(api: httpx.AsyncClient, world: World, acks: Acks, quantity: int) -> None:
    lot_number = f"L{uuid.uuid4().hex[:10].upper()}"
    response = await api.post(
        f"/api/v1/facilities/{world.facility_id}/stock/receipts",
        json={
            "medicine_id": world.medicine_id,
            "lot_number": lot_number,
            "expiry_date": (date.today() + timedelta(days=400)).isoformat(),
            "quantity": quantity,
            "supplier": "Công ty Dược Điện Biên",
        },
    )
    assert response.status_code == 201, response.text
    acks.lots[response.json()["id"]] = lot_number


async def book(api: httpx.AsyncClient, world: World, acks: Acks, person: str, when: str) -> None:
    acks.asked_pairs.add((person, when))
    try:
        response = await api.post(
            "/api/v1/checkups",
            json={
                "beneficiary_id": person,
                "facility_id": world.facility_id,
                "date": when,
                "specialty_codes": SPECIALTIES,
            },
        )
    except httpx.TransportError:
        acks.unanswered += 1
        return
    if response.status_code == 201:
        body = response.json()
        appointments = {a["id"] for a in body["appointments"]}
        acks.checkups[body["id"]] = (person, when, appointments)
    else:
        acks.refused[f"booking {response.status_code} {_code(response)}"] += 1


async def dispense(
    api: httpx.AsyncClient, world: World, acks: Acks, person: str, quantity: int
) -> None:
    tag = uuid.uuid4().hex
    acks.asked_tags.add(tag)
    try:
        response = await api.post(
            "/api/v1/dispenses",
            json={
                "beneficiary_id": person,
                "facility_id": world.facility_id,
                "medicine_id": world.medicine_id,
                "quantity": quantity,
                "dosage_instructions": f"1 viên khi sốt, {TAG}{tag}",
            },
        )
    except httpx.TransportError:
        acks.unanswered += 1
        return
    if response.status_code == 201:
        acks.dispenses[response.json()["id"]] = (tag, quantity)
    else:
        acks.refused[f"dispense {response.status_code} {_code(response)}"] += 1


def _code(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        return str(response.json().get("code"))
    return ""


def pairs_for(world: World, first_day: int, days: int, rng: random.Random) -> list[tuple[str, str]]:
    pairs = [(p, day(first_day + d)) for p in world.people for d in range(days)]
    rng.shuffle(pairs)
    return pairs


async def load(
    api: httpx.AsyncClient,
    world: World,
    acks: Acks,
    pairs: list[tuple[str, str]],
    rng: random.Random,
    stop: anyio.Event,
    *,
    workers: int,
) -> None:
    """Bookings and dispenses from ``workers`` concurrent clients until ``stop`` is set (only
    dispenses once the pairs run out)."""

    async def worker() -> None:
        while not stop.is_set():
            if pairs and rng.random() < 0.5:
                person, when = pairs.pop()
                await book(api, world, acks, person, when)
            else:
                await dispense(api, world, acks, rng.choice(world.people), rng.randint(1, 3))

    async with anyio.create_task_group() as group:
        for _ in range(workers):
            group.start_soon(worker)


# Checks on the database ------------------------------------------------------------------------


async def on_database(url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await work(connection)
    finally:
        await engine.dispose()


async def verify(url: str, world: World, acks: Acks) -> dict[str, int]:
    """Every acknowledged write present once and whole; nothing unasked; counters and stock
    equal to what they count. Returns how many rows of each kind were checked."""

    async def check(connection: AsyncConnection) -> dict[str, int]:
        facility = uuid.UUID(world.facility_id)
        checkups = {
            str(row.id): row
            for row in await connection.execute(
                select(Checkup.id, Checkup.beneficiary_id, Checkup.date, Checkup.status).where(
                    Checkup.facility_id == facility
                )
            )
        }
        appointments: dict[str, list[Any]] = {}
        for row in await connection.execute(
            select(Appointment.id, Appointment.checkup_id, Appointment.status).where(
                Appointment.facility_id == facility
            )
        ):
            appointments.setdefault(str(row.checkup_id), []).append(row)
        # Acknowledged bookings: present, as booked, whole.
        for checkup_id, (person, when, appointment_ids) in acks.checkups.items():
            row = checkups.get(checkup_id)
            assert row is not None, f"acknowledged checkup {checkup_id} is lost"
            assert (str(row.beneficiary_id), row.date.isoformat()) == (person, when)
            found = {str(a.id) for a in appointments.get(checkup_id, [])}
            assert found == appointment_ids, f"checkup {checkup_id}: appointments {found}"
        # Nothing twice, nothing unasked, nothing half done.
        seen = Counter((str(r.beneficiary_id), r.date.isoformat()) for r in checkups.values())
        twice = [pair for pair, n in seen.items() if n > 1]
        assert not twice, f"booked twice: {twice}"
        unasked = set(seen) - acks.asked_pairs
        assert not unasked, f"checkups nobody asked for: {unasked}"
        partial = [c for c in checkups if len(appointments.get(c, [])) != len(SPECIALTIES)]
        assert not partial, f"checkups without all their appointments: {partial}"

        dispenses = {
            str(row.id): row
            for row in await connection.execute(
                select(Dispense.id, Dispense.quantity, Dispense.dosage_instructions).where(
                    Dispense.facility_id == facility
                )
            )
        }
        tags = Counter(r.dosage_instructions.rsplit(TAG, 1)[-1] for r in dispenses.values())
        assert not [t for t, n in tags.items() if n > 1], "a dispense recorded twice"
        assert not set(tags) - acks.asked_tags, "dispenses nobody asked for"
        for dispense_id, (tag, quantity) in acks.dispenses.items():
            row = dispenses.get(dispense_id)
            assert row is not None, f"acknowledged dispense {dispense_id} is lost"
            assert (row.dosage_instructions.endswith(tag), row.quantity) == (True, quantity)
        ledger_out = dict(
            (
                await connection.execute(
                    select(LedgerEntry.dispense_id, func.sum(LedgerEntry.quantity))
                    .where(
                        LedgerEntry.facility_id == facility, LedgerEntry.dispense_id.is_not(None)
                    )
                    .group_by(LedgerEntry.dispense_id)
                )
            ).all()
        )
        taken = dict(
            (
                await connection.execute(
                    select(DispenseLot.dispense_id, func.sum(DispenseLot.quantity)).group_by(
                        DispenseLot.dispense_id
                    )
                )
            ).all()
        )
        for dispense_id, row in dispenses.items():
            key = uuid.UUID(dispense_id)
            assert ledger_out.get(key) == -row.quantity, f"dispense {dispense_id}: ledger"
            assert taken.get(key) == row.quantity, f"dispense {dispense_id}: lots"

        # Stock: every lot's quantity is its ledger's sum, never negative.
        lots = (
            await connection.execute(
                select(StockLot.id, StockLot.lot_number, StockLot.on_hand).where(
                    StockLot.facility_id == facility
                )
            )
        ).all()
        sums = dict(
            (
                await connection.execute(
                    select(LedgerEntry.lot_id, func.sum(LedgerEntry.quantity))
                    .where(LedgerEntry.facility_id == facility)
                    .group_by(LedgerEntry.lot_id)
                )
            ).all()
        )
        for lot in lots:
            assert lot.on_hand >= 0, f"lot {lot.lot_number} below zero"
            assert sums.get(lot.id, 0) == lot.on_hand, f"lot {lot.lot_number}: ledger"
        numbers = {str(lot.id): lot.lot_number for lot in lots}
        for lot_id, number in acks.lots.items():
            assert numbers.get(lot_id) == number, f"acknowledged receipt {number} is lost"

        # Capacity: every session's counter is its place-holding appointments, within capacity.
        holding = (
            select(Appointment.session_id, func.count().label("holding"))
            .where(Appointment.status.in_(SEAT_HOLDING))
            .group_by(Appointment.session_id)
            .subquery()
        )
        sessions = (
            await connection.execute(
                select(
                    Session.id,
                    Session.capacity,
                    Session.booked,
                    func.coalesce(holding.c.holding, 0).label("holding"),
                ).outerjoin(holding, holding.c.session_id == Session.id)
            )
        ).all()
        wrong = [s for s in sessions if s.booked != s.holding or s.booked > s.capacity]
        assert not wrong, f"sessions whose counters are wrong: {wrong}"
        return {
            "checkups": len(checkups),
            "appointments": sum(len(a) for a in appointments.values()),
            "dispenses": len(dispenses),
            "lots": len(lots),
            "sessions": len(sessions),
        }

    return await on_database(url, check)


# A populated database, in process ---------------------------------------------------------------


async def populate(url: str, *, people: int = 40) -> dict[str, int]:
    """Fill a migrated database through the API in process: registry, cards, sessions,
    bookings, a receipt, dispenses, a cancellation, results and the audit trail, sealed."""
    settings = Settings(database_url=url, environment="test", secret_key=TEST_SECRET)
    app = create_app(settings)
    engine = create_engine(settings)
    use_engine(app, engine)
    try:
        async with app.state.sessionmaker() as session:
            account = Account(
                kind=AccountKind.user,
                login="populate",
                display_name="Nạp dữ liệu",
                secret_hash=hash_secret("populate-password-2027"),
                roles=ALL_ROLES,
                province_wide=True,
            )
            session.add(account)
            await session.commit()
        token = issue_access_token(settings.secret_key, account.id, datetime.now(UTC), 60)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        ) as api:
            world = await prepare(api, people=people, days=4, capacity=8)
            acks = Acks()
            await receive(api, world, acks, 200)
            rng = random.Random(7)
            for person, when in pairs_for(world, 1, 3, rng)[: people * 2]:
                await book(api, world, acks, person, when)
            for person in world.people:
                await dispense(api, world, acks, person, rng.randint(1, 3))
            first = next(iter(acks.checkups))
            cancelled = await api.post(
                f"/api/v1/checkups/{first}/cancel",
                json={"cancelled_by": "patient", "reason": "Ốm, xin đổi ngày"},
            )
            assert cancelled.status_code in (200, 404, 422), cancelled.text
            await seal(app.state.sessionmaker)  # as the server's sealer would
            return await verify(url, world, acks)
    finally:
        await engine.dispose()
