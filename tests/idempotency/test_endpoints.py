"""Each family of creating POSTs replays instead of writing twice."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.beneficiaries.test_import import csv_bytes, person
from tests.factories import create_beneficiary, create_facility
from tests.idempotency.test_keys import HEADER, REPLAYED, key, replayed
from tests.pharmacy.test_stock import dispense, in_days, receive
from tests.scheduling.conftest import day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.models import (
    Account,
    Beneficiary,
    Checkup,
    Dispense,
    Facility,
    IdempotencyKey,
    IdempotencyState,
    InsuranceCard,
    Role,
    StockLot,
)


async def rows_of(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_cards(client: httpx.AsyncClient, session: AsyncSession) -> None:
    found = await create_beneficiary(client)
    year = datetime.now(UTC).year
    card = {
        "number": found["bhxh_number"],
        "valid_from": f"{year - 1}-01-01",
        "valid_to": f"{year + 1}-12-31",
        "registration_facility_code": "11001",
    }
    await replayed(client, f"/api/v1/beneficiaries/{found['id']}/cards", json=card)
    assert (
        await rows_of(
            session, InsuranceCard, InsuranceCard.beneficiary_id == uuid.UUID(found["id"])
        )
        == 1
    )


async def test_checkups(client: httpx.AsyncClient, session: AsyncSession) -> None:
    clinic = await make_clinic(client, days=3)
    someone = await person_with_card(client)
    body = {
        "beneficiary_id": someone["id"],
        "facility_id": clinic["id"],
        "date": day(1),
        "specialty_codes": ["internal-medicine", "ultrasound"],
    }
    first, _ = await replayed(client, "/api/v1/checkups", json=body)
    assert first.status_code == 201
    assert await rows_of(session, Checkup, Checkup.beneficiary_id == uuid.UUID(someone["id"])) == 1


async def test_bulk_scheduling_runs(client: httpx.AsyncClient, session: AsyncSession) -> None:
    clinic = await make_clinic(client, days=3, specialties=["ultrasound"])
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Khám định kỳ 27/7",
            "starts_on": day(1),
            "ends_on": day(2),
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": ["ultrasound"],
        },
        headers=key(),
    )
    assert campaign.status_code == 201, campaign.text
    commune = "03127"
    people = [await person_with_card(client, commune_code=commune) for _ in range(2)]
    url = f"/api/v1/campaigns/{campaign.json()['id']}/bulk-schedule"
    run = {"facility_id": clinic["id"], "commune_codes": [commune]}
    first, _ = await replayed(client, url, json=run)
    assert {b["beneficiary_id"] for b in first.json()["booked"]} == {p["id"] for p in people}
    ids = [uuid.UUID(p["id"]) for p in people]
    assert await rows_of(session, Checkup, Checkup.beneficiary_id.in_(ids)) == 2


async def test_a_long_running_claim_is_409_until_its_lease_ends(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Bulk scheduling claims its key before it starts; a retry meanwhile gets 409. A claim
    left by a process that died is taken over when its lease ends."""
    clinic = await make_clinic(client, days=2, specialties=["ultrasound"])
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Đợt khám",
            "starts_on": day(1),
            "ends_on": day(1),
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": ["ultrasound"],
        },
    )
    url = f"/api/v1/campaigns/{campaign.json()['id']}/bulk-schedule"
    run = {"facility_id": clinic["id"], "commune_codes": ["03127"]}
    headers = key()
    first = await client.post(url, json=run, headers=headers)
    assert first.status_code == 200, first.text
    where = IdempotencyKey.key == headers[HEADER]
    now = datetime.now(UTC)
    await session.execute(
        update(IdempotencyKey)
        .where(where)
        .values(state=IdempotencyState.running, locked_until=now + timedelta(minutes=5))
    )
    await session.commit()
    busy = assert_problem(await client.post(url, json=run, headers=headers), 409)
    assert busy["code"] == "idempotency-key-in-use"
    await session.execute(
        update(IdempotencyKey).where(where).values(locked_until=now - timedelta(seconds=1))
    )
    await session.commit()
    taken_over = await client.post(url, json=run, headers=headers)
    assert taken_over.status_code == 200, taken_over.text
    assert REPLAYED not in taken_over.headers
    row = await session.scalar(select(IdempotencyKey).where(where))
    await session.refresh(row)
    assert row is not None
    assert row.state == IdempotencyState.done


async def test_a_failed_long_running_request_releases_its_claim(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = key()
    missing = f"/api/v1/campaigns/{uuid.uuid4()}/bulk-schedule"
    run = {"facility_id": str(uuid.uuid4())}
    assert_problem(await client.post(missing, json=run, headers=headers), 404)
    assert await rows_of(session, IdempotencyKey, IdempotencyKey.key == headers[HEADER]) == 0


async def test_dispenses_take_stock_once(
    client: httpx.AsyncClient, client_for: Any, session: AsyncSession
) -> None:
    pharmacy = await create_facility(client)
    pharmacist = await client_for(
        Role.pharmacist, province_wide=False, facility_ids=[pharmacy["id"]]
    )
    medicine = (await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})).json()[
        "items"
    ][0]
    someone = await create_beneficiary(client)
    lot = await receive(pharmacist, pharmacy, medicine, "L-IDEM-1", in_days(200), 10)
    headers = key()
    first = await dispense(pharmacist, pharmacy, medicine, someone, 3)
    assert first.status_code == 201
    one = await pharmacist.post(
        "/api/v1/dispenses",
        headers=headers,
        json={
            "beneficiary_id": someone["id"],
            "facility_id": pharmacy["id"],
            "medicine_id": medicine["id"],
            "quantity": 2,
            "dosage_instructions": "Uống 1 viên khi sốt",
            "days_of_supply": 2,
        },
    )
    assert one.status_code == 201, one.text
    again = await pharmacist.post(
        "/api/v1/dispenses",
        headers=headers,
        json={
            "days_of_supply": 2,
            "dosage_instructions": "Uống 1 viên khi sốt",
            "quantity": 2,
            "medicine_id": medicine["id"],
            "facility_id": pharmacy["id"],
            "beneficiary_id": someone["id"],
        },
    )
    assert (again.status_code, again.content, again.headers[REPLAYED]) == (
        201,
        one.content,
        "true",
    )
    on_hand = await session.scalar(
        select(StockLot.on_hand).where(StockLot.id == uuid.UUID(lot["id"]))
    )
    assert on_hand == 10 - 3 - 2
    count = await rows_of(session, Dispense, Dispense.beneficiary_id == uuid.UUID(someone["id"]))
    assert count == 2


async def test_stock_receipts(
    client: httpx.AsyncClient, client_for: Any, session: AsyncSession
) -> None:
    pharmacy = await create_facility(client)
    pharmacist = await client_for(
        Role.pharmacist, province_wide=False, facility_ids=[pharmacy["id"]]
    )
    medicine = (await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})).json()[
        "items"
    ][0]
    receipt = {
        "medicine_id": medicine["id"],
        "lot_number": "L-IDEM-2",
        "expiry_date": in_days(300),
        "quantity": 50,
        "supplier": "Công ty Dược Điện Biên",
    }
    first, _ = await replayed(
        pharmacist, f"/api/v1/facilities/{pharmacy['id']}/stock/receipts", json=receipt
    )
    on_hand = await session.scalar(
        select(StockLot.on_hand).where(StockLot.id == uuid.UUID(first.json()["id"]))
    )
    assert on_hand == 50


async def test_imports(client: httpx.AsyncClient, session: AsyncSession) -> None:
    rows = [person(), person("Quàng Thị Én")]
    upload = {"file": ("danh-sach.csv", csv_bytes(rows), "text/csv")}
    first, _ = await replayed(client, "/api/v1/beneficiaries/import", files=upload)
    assert first.json()["created"] == 2
    ids = [r["cccd"] for r in rows]
    assert await rows_of(session, Beneficiary, Beneficiary.national_id.in_(ids)) == 2
    # The same key with another file is refused; the same file under another name is the same.
    headers = {HEADER: "import-" + uuid.uuid4().hex}
    assert (
        await client.post("/api/v1/beneficiaries/import", headers=headers, files=upload)
    ).status_code == 200
    renamed = {"file": ("other-name.csv", csv_bytes(rows), "text/csv")}
    same = await client.post("/api/v1/beneficiaries/import", headers=headers, files=renamed)
    assert same.headers[REPLAYED] == "true"
    other = {"file": ("danh-sach.csv", csv_bytes([person("Lường Văn Xôm")]), "text/csv")}
    assert_problem(
        await client.post("/api/v1/beneficiaries/import", headers=headers, files=other),
        422,
        "idempotency-key-reused",
    )


async def test_facilities_users_and_campaigns(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    facility = {"code": "I9001", "name": "Trạm Y tế Idem", "level": "commune-health-station"}
    await replayed(client, "/api/v1/facilities", json=facility)
    assert await rows_of(session, Facility, Facility.code == "I9001") == 1
    user = {
        "username": "idem.user",
        "full_name": "Lò Thị Idem",
        "password": "mật khẩu rất dài 2027",
        "roles": ["clinician"],
        "province_wide": True,
    }
    await replayed(client, "/api/v1/users", json=user)
    assert await rows_of(session, Account, Account.login == "idem.user") == 1
    # The stored fingerprint is keyed: the password cannot be guessed from it.
    stored = await session.scalar(
        select(IdempotencyKey.request_hash).where(IdempotencyKey.operation == "create_user")
    )
    assert stored is not None
    assert len(stored) == 64


async def test_client_creation_takes_no_key(client: httpx.AsyncClient) -> None:
    """Its answer holds the client secret, which is never stored: the header is not defined
    there (and ignored)."""
    spec = client._transport.app.openapi()  # type: ignore[attr-defined]
    operation = spec["paths"]["/api/v1/clients"]["post"]
    assert HEADER not in {p["name"] for p in operation.get("parameters", [])}


async def test_every_creating_post_documents_the_key(app: Any) -> None:
    spec = app.openapi()
    documented = []
    for path, operations in spec["paths"].items():
        operation = operations.get("post")
        if operation is None:
            continue
        names = {p["name"] for p in operation.get("parameters", [])}
        if HEADER in names:
            documented.append(path)
            assert "idempotency-key-in-use" in operation["responses"]["409"]["description"]
            assert "idempotency-key-reused" in operation["responses"]["422"]["description"]
            success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            assert REPLAYED in success["headers"]
        elif "201" in operation["responses"]:
            # Their answers hold a secret shown once, which the replay store must not keep.
            secrets = ("/api/v1/clients", "/api/v1/webhook-subscriptions")
            assert path in secrets, f"{path} creates but takes no Idempotency-Key"
    assert "/api/v1/beneficiaries/import" in documented
    assert "/api/v1/campaigns/{campaign_id}/bulk-schedule" in documented
