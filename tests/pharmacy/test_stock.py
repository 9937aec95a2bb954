"""Catalogue, stock ledger and dispensing: FEFO, expired lots, never negative, cancellations."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_beneficiary, create_facility
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import Dispense, LedgerEntry, Role, StockLot


def in_days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


@pytest.fixture
async def pharmacy(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create_facility(client)


@pytest.fixture
async def pharmacist(client_for, pharmacy) -> httpx.AsyncClient:
    return await client_for(Role.pharmacist, province_wide=False, facility_ids=[pharmacy["id"]])


@pytest.fixture
async def paracetamol(pharmacist: httpx.AsyncClient) -> dict[str, Any]:
    items = (await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})).json()["items"]
    assert items, "the seeded catalogue has paracetamol"
    return items[0]


async def receive(
    pharmacist: httpx.AsyncClient, pharmacy: dict, medicine: dict, lot: str, expiry: str, qty: int
) -> dict[str, Any]:
    response = await pharmacist.post(
        f"/api/v1/facilities/{pharmacy['id']}/stock/receipts",
        json={
            "medicine_id": medicine["id"],
            "lot_number": lot,
            "expiry_date": expiry,
            "quantity": qty,
            "supplier": "Công ty Dược Điện Biên",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def dispense(pharmacist, pharmacy, medicine, person, qty: int, **extra) -> httpx.Response:
    return await pharmacist.post(
        "/api/v1/dispenses",
        json={
            "beneficiary_id": person["id"],
            "facility_id": pharmacy["id"],
            "medicine_id": medicine["id"],
            "quantity": qty,
            "dosage_instructions": "Uống 1 viên khi sốt, cách 6 giờ",
            "days_of_supply": 5,
            **extra,
        },
    )


async def test_the_catalogue_is_seeded_by_atc_group(pharmacist) -> None:
    codes = {
        m["atc_code"]
        for m in (await pharmacist.get("/api/v1/medicines", params={"limit": 200})).json()["items"]
    }
    for group in ("J01", "N02B", "M01A", "S01", "A11", "A12", "V06"):
        assert any(code.startswith(group) for code in codes), group


async def test_atc_code_format_is_checked(client_for) -> None:
    admin = await client_for(Role.admin)
    payload = {
        "code": "XYZ1",
        "name": "X",
        "active_ingredient": "X",
        "strength": "1 mg",
        "dosage_form": "viên",
        "unit": "viên",
    }
    assert_problem(
        await admin.post("/api/v1/medicines", json={**payload, "atc_code": "N2BE01"}), 422
    )
    ok = await admin.post("/api/v1/medicines", json={**payload, "atc_code": "N02BE01"})
    assert ok.status_code == 201, ok.text


async def test_fefo_across_two_lots_and_expired_lots_skipped(
    client, pharmacist, pharmacy, paracetamol
) -> None:
    late = await receive(pharmacist, pharmacy, paracetamol, "LATE-1", in_days(400), 10)
    early = await receive(pharmacist, pharmacy, paracetamol, "EARLY-1", in_days(30), 4)
    person = await create_beneficiary(client)
    response = await dispense(pharmacist, pharmacy, paracetamol, person, 6)
    assert response.status_code == 201, response.text
    lots = {entry["lot_id"]: entry["quantity"] for entry in response.json()["lots"]}
    assert lots == {early["id"]: 4, late["id"]: 2}
    stock = (await pharmacist.get(f"/api/v1/facilities/{pharmacy['id']}/stock")).json()
    assert stock["medicines"][0]["on_hand"] == 8


async def test_an_expired_lot_is_never_dispensed(
    client, pharmacist, pharmacy, paracetamol, session: AsyncSession
) -> None:
    lot = await receive(pharmacist, pharmacy, paracetamol, "OLD-1", in_days(10), 5)
    await session.execute(
        update(StockLot)
        .where(StockLot.id == uuid.UUID(lot["id"]))
        .values(expiry_date=today() - timedelta(days=1))
    )
    await session.commit()
    person = await create_beneficiary(client)
    response = await dispense(pharmacist, pharmacy, paracetamol, person, 1)
    body = assert_problem(response, 409, "insufficient-stock")
    assert body["available"] == 0
    named = await dispense(pharmacist, pharmacy, paracetamol, person, 1, lot_id=lot["id"])
    assert_problem(named, 409, "lot-expired")
    expiring = (
        await pharmacist.get(
            f"/api/v1/facilities/{pharmacy['id']}/stock", params={"expiring_within_days": 30}
        )
    ).json()
    assert expiring["medicines"][0]["lots"][0]["lot_number"] == "OLD-1"


async def test_not_enough_stock_is_a_409_saying_how_much(
    client, pharmacist, pharmacy, paracetamol
) -> None:
    await receive(pharmacist, pharmacy, paracetamol, "L-3", in_days(100), 3)
    person = await create_beneficiary(client)
    body = assert_problem(
        await dispense(pharmacist, pharmacy, paracetamol, person, 5), 409, "insufficient-stock"
    )
    assert body["available"] == 3


async def test_cancelling_restores_stock_through_the_ledger(
    client, pharmacist, pharmacy, paracetamol, session: AsyncSession
) -> None:
    lot = await receive(pharmacist, pharmacy, paracetamol, "L-4", in_days(100), 10)
    person = await create_beneficiary(client)
    made = (await dispense(pharmacist, pharmacy, paracetamol, person, 7)).json()
    response = await pharmacist.post(
        f"/api/v1/dispenses/{made['id']}/status",
        json={"status": "cancelled", "reason": "Bệnh nhân dị ứng, đổi thuốc"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    again = await pharmacist.post(
        f"/api/v1/dispenses/{made['id']}/status", json={"status": "cancelled", "reason": "x"}
    )
    assert_problem(again, 409)
    ledger = (
        await pharmacist.get(
            f"/api/v1/facilities/{pharmacy['id']}/stock/ledger", params={"lot_id": lot["id"]}
        )
    ).json()["items"]
    assert [(e["kind"], e["quantity"]) for e in ledger] == [
        ("return", 7),
        ("dispense", -7),
        ("receipt", 10),
    ]
    on_hand = await session.scalar(select(StockLot.on_hand).where(StockLot.lot_number == "L-4"))
    total = await session.scalar(
        select(func.sum(LedgerEntry.quantity)).join(StockLot).where(StockLot.lot_number == "L-4")
    )
    assert on_hand == total == 10


async def test_adjustments_never_take_stock_below_zero(pharmacist, pharmacy, paracetamol) -> None:
    lot = await receive(pharmacist, pharmacy, paracetamol, "L-5", in_days(100), 2)
    url = f"/api/v1/facilities/{pharmacy['id']}/stock/adjustments"
    body = assert_problem(
        await pharmacist.post(url, json={"lot_id": lot["id"], "quantity": -3, "reason": "damaged"}),
        409,
        "insufficient-stock",
    )
    assert body["available"] == 2
    ok = await pharmacist.post(
        url,
        json={
            "lot_id": lot["id"],
            "quantity": -2,
            "reason": "damaged",
            "note": "Vỡ khi vận chuyển",
        },
    )
    assert ok.json()["on_hand"] == 0
    assert_problem(
        await pharmacist.post(
            url, json={"lot_id": lot["id"], "quantity": 0, "reason": "count-correction"}
        ),
        422,
    )


async def test_the_ledger_is_append_only(
    pharmacist, pharmacy, paracetamol, session: AsyncSession
) -> None:
    await receive(pharmacist, pharmacy, paracetamol, "L-6", in_days(100), 2)
    for statement in ("UPDATE stock_ledger SET quantity = 99", "DELETE FROM stock_ledger"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(text(statement))


async def test_a_lot_number_keeps_its_expiry(pharmacist, pharmacy, paracetamol) -> None:
    await receive(pharmacist, pharmacy, paracetamol, "L-7", in_days(100), 2)
    response = await pharmacist.post(
        f"/api/v1/facilities/{pharmacy['id']}/stock/receipts",
        json={
            "medicine_id": paracetamol["id"],
            "lot_number": "L-7",
            "expiry_date": in_days(200),
            "quantity": 1,
            "supplier": "X",
        },
    )
    assert_problem(response, 409, "lot-expiry-mismatch")
    expired = await pharmacist.post(
        f"/api/v1/facilities/{pharmacy['id']}/stock/receipts",
        json={
            "medicine_id": paracetamol["id"],
            "lot_number": "L-8",
            "expiry_date": in_days(-1),
            "quantity": 1,
            "supplier": "X",
        },
    )
    assert_problem(expired, 422, "lot-expired")


async def test_dispensing_history_and_roles(
    client, client_for, pharmacist, pharmacy, paracetamol
) -> None:
    await receive(pharmacist, pharmacy, paracetamol, "L-9", in_days(100), 5)
    person = await create_beneficiary(client)
    made = (await dispense(pharmacist, pharmacy, paracetamol, person, 2)).json()
    history = (
        await pharmacist.get("/api/v1/dispenses", params={"beneficiary_id": person["id"]})
    ).json()
    assert [d["id"] for d in history["items"]] == [made["id"]]
    by_date = (
        await pharmacist.get(
            "/api/v1/dispenses",
            params={
                "facility_id": pharmacy["id"],
                "dispensed_from": in_days(0),
                "dispensed_to": in_days(0),
            },
        )
    ).json()
    assert made["id"] in [d["id"] for d in by_date["items"]]
    clinician = await client_for(Role.clinician)
    assert (await clinician.get(f"/api/v1/dispenses/{made['id']}")).status_code == 200
    assert_problem(await dispense(clinician, pharmacy, paracetamol, person, 1), 403)
    reporter = await client_for(Role.reporter)
    assert_problem(await reporter.get(f"/api/v1/dispenses/{made['id']}"), 403)
    elsewhere = await create_facility(client)
    other = await client_for(Role.pharmacist, province_wide=False, facility_ids=[elsewhere["id"]])
    assert_problem(await other.get(f"/api/v1/dispenses/{made['id']}"), 404)


async def test_control_characters_never_reach_the_database(client_for) -> None:
    admin = await client_for(Role.admin)
    payload = {
        "code": "NUL1",
        "name": "X",
        "active_ingredient": "X",
        "strength": "1 mg",
        "dosage_form": "~viên\x00",
        "unit": "\x92",
        "atc_code": "N02BE01",
    }
    body = assert_problem(await admin.post("/api/v1/medicines", json=payload), 422)
    assert {e["field"] for e in body["errors"]} == {"body.dosage_form", "body.unit"}


async def test_dispenses_count_in_the_local_day_and_month(
    client, client_for, pharmacist, pharmacy, paracetamol, sessionmaker
) -> None:
    """Vietnam is UTC+7: a dispense at 00:30 on 1 April local time is 17:30 UTC on 31 March.
    The list's date filters and the dispensing report's dates and months are local."""
    await receive(pharmacist, pharmacy, paracetamol, "L-TZ", in_days(100), 10)
    person = await create_beneficiary(client)
    made = (await dispense(pharmacist, pharmacy, paracetamol, person, 3)).json()
    async with sessionmaker() as session:
        await session.execute(
            update(Dispense)
            .where(Dispense.id == uuid.UUID(made["id"]))
            .values(dispensed_at=datetime(2026, 3, 31, 17, 30, tzinfo=UTC))
        )
        await session.commit()

    async def listed(first: str, last: str) -> bool:
        params = {"facility_id": pharmacy["id"], "dispensed_from": first, "dispensed_to": last}
        page = (await pharmacist.get("/api/v1/dispenses", params=params)).json()
        return made["id"] in [d["id"] for d in page["items"]]

    assert await listed("2026-04-01", "2026-04-01")
    assert not await listed("2026-03-31", "2026-03-31")

    reporter = await client_for(Role.reporter)

    async def months(first: str, last: str) -> dict[int, int]:
        params = {
            "group_by": ["facility", "month"],
            "date_from": first,
            "date_to": last,
        }
        report = (await reporter.get("/api/v1/reports/dispensing", params=params)).json()
        return {
            r["month"]: r["quantity"] for r in report["rows"] if r["facility"] == pharmacy["id"]
        }

    assert await months("2026-04-01", "2026-04-30") == {202604: 3}
    assert await months("2026-03-01", "2026-03-31") == {}


FIRST_DATE, LAST_DATE = "0001-01-01", "9999-12-31"


async def test_dispense_dates_reach_the_first_and_the_last_date(
    client, pharmacist, pharmacy, paracetamol, sessionmaker
) -> None:
    """Every date the schema allows is a bound (issue 22): 0001-01-01 begins before the first
    UTC instant at UTC+7, and the day after 9999-12-31 has no date; both keep their dispenses."""
    await receive(pharmacist, pharmacy, paracetamol, "L-CAL", in_days(100), 10)
    person = await create_beneficiary(client)
    first, now, last = [
        (await dispense(pharmacist, pharmacy, paracetamol, person, 1)).json()["id"]
        for _ in range(3)
    ]
    async with sessionmaker() as session:
        for made, at in (
            (first, datetime(1, 1, 1, 0, 30, tzinfo=UTC)),  # 07:30 on 0001-01-01, local
            (last, datetime(9999, 12, 31, 16, 30, tzinfo=UTC)),  # 23:30 on 9999-12-31, local
        ):
            await session.execute(
                update(Dispense).where(Dispense.id == uuid.UUID(made)).values(dispensed_at=at)
            )
        await session.commit()

    async def listed(**dates: str) -> set[str]:
        params = {"facility_id": pharmacy["id"], **dates}
        response = await pharmacist.get("/api/v1/dispenses", params=params)
        assert response.status_code == 200, response.text
        return {d["id"] for d in response.json()["items"]}

    everything = {first, now, last}
    assert await listed(dispensed_from=FIRST_DATE) == everything
    assert await listed(dispensed_to=LAST_DATE) == everything
    assert await listed(dispensed_from=FIRST_DATE, dispensed_to=LAST_DATE) == everything
    assert await listed(dispensed_to=FIRST_DATE) == {first}
    assert await listed(dispensed_from=FIRST_DATE, dispensed_to=FIRST_DATE) == {first}
    assert await listed(dispensed_from=LAST_DATE) == {last}
    assert await listed(dispensed_from=LAST_DATE, dispensed_to=LAST_DATE) == {last}
