"""Stock by funding source (issue 27): who paid for a lot, and a sponsored drive's medicines
from its sponsor's lots only."""

from typing import Any

import httpx
import pytest

from tests.pharmacy.test_stock import dispense, in_days
from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.models import Role

RED_CROSS = "Hội Chữ thập đỏ tỉnh Điện Biên"


@pytest.fixture
async def clinic(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_clinic(client, specialties=["internal-medicine"], days=4)


@pytest.fixture
async def pharmacist(client_for: Any, clinic: dict[str, Any]) -> httpx.AsyncClient:
    return await client_for(Role.pharmacist, province_wide=False, facility_ids=[clinic["id"]])


@pytest.fixture
async def paracetamol(pharmacist: httpx.AsyncClient) -> dict[str, Any]:
    items = (await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})).json()["items"]
    return items[0]


async def _receive(
    pharmacist: httpx.AsyncClient, clinic: dict, medicine: dict, lot: str, **funding: Any
) -> httpx.Response:
    return await pharmacist.post(
        f"/api/v1/facilities/{clinic['id']}/stock/receipts",
        json={
            "medicine_id": medicine["id"],
            "lot_number": lot,
            "expiry_date": funding.pop("expiry", in_days(300)),
            "quantity": funding.pop("quantity", 10),
            "supplier": "Công ty Dược Điện Biên",
            **funding,
        },
    )


async def test_a_lot_records_who_paid_for_it(pharmacist, clinic, paracetamol) -> None:
    received = await _receive(
        pharmacist, clinic, paracetamol, "RC-1", funding_source="sponsor", sponsor=RED_CROSS
    )
    assert received.status_code == 201, received.text
    assert (received.json()["funding_source"], received.json()["sponsor"]) == ("sponsor", RED_CROSS)
    topped_up = await _receive(pharmacist, clinic, paracetamol, "RC-1", quantity=5)
    assert topped_up.json()["on_hand"] == 15
    assert topped_up.json()["sponsor"] == RED_CROSS
    other = await _receive(pharmacist, clinic, paracetamol, "RC-1", funding_source="state-budget")
    assert_problem(other, 409, "lot-funding-mismatch")


@pytest.mark.parametrize(
    ("funding", "field"),
    [({"funding_source": "sponsor"}, "sponsor"), ({"sponsor": RED_CROSS}, "sponsor")],
)
async def test_a_sponsor_is_named_exactly_when_a_sponsor_paid(
    pharmacist, clinic, paracetamol, funding: dict[str, str], field: str
) -> None:
    refused = await _receive(pharmacist, clinic, paracetamol, "X-1", **funding)
    problem = assert_problem(refused, 422, "validation-error")
    assert [e["field"] for e in problem["errors"]] == [f"body.{field}"]


async def test_a_sponsored_drive_dispenses_from_its_sponsor_s_lots_only(
    client: httpx.AsyncClient, pharmacist, clinic, paracetamol
) -> None:
    state = (
        await _receive(
            pharmacist,
            clinic,
            paracetamol,
            "NS-1",
            funding_source="state-budget",
            expiry=in_days(30),
        )
    ).json()
    sponsored = (
        await _receive(
            pharmacist,
            clinic,
            paracetamol,
            "RC-2",
            funding_source="sponsor",
            sponsor=RED_CROSS,
            quantity=6,
        )
    ).json()
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Khám định kỳ 27/7 (Hội Chữ thập đỏ tài trợ thuốc)",
            "starts_on": day(1),
            "ends_on": day(3),
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": ["internal-medicine"],
            "sponsor": RED_CROSS,
        },
    )
    assert campaign.status_code == 201, campaign.text
    assert campaign.json()["sponsor"] == RED_CROSS
    person = await person_with_card(client)
    drive = {"campaign_id": campaign.json()["id"]}
    checkup = await book(client, clinic, person, day(2), ["internal-medicine"], **drive)
    assert checkup.status_code == 201, checkup.text
    in_drive = {"checkup_id": checkup.json()["id"]}

    given = await dispense(pharmacist, clinic, paracetamol, person, 4, **in_drive)

    assert given.status_code == 201, given.text
    assert [lot["lot_id"] for lot in given.json()["lots"]] == [sponsored["id"]]  # not FEFO's
    named = await dispense(
        pharmacist, clinic, paracetamol, person, 1, lot_id=state["id"], **in_drive
    )
    assert_problem(named, 409, "lot-not-sponsored")
    short = await dispense(pharmacist, clinic, paracetamol, person, 3, **in_drive)
    assert RED_CROSS in assert_problem(short, 409, "insufficient-stock")["detail"]
    outside = await dispense(pharmacist, clinic, paracetamol, person, 3)
    assert [lot["lot_id"] for lot in outside.json()["lots"]] == [state["id"]]


async def test_the_dispensing_report_says_who_paid(
    client: httpx.AsyncClient, pharmacist, clinic, paracetamol
) -> None:
    await _receive(
        pharmacist,
        clinic,
        paracetamol,
        "NS-2",
        funding_source="state-budget",
        expiry=in_days(30),
        quantity=3,
    )
    await _receive(
        pharmacist, clinic, paracetamol, "RC-3", funding_source="sponsor", sponsor=RED_CROSS
    )
    await _receive(pharmacist, clinic, paracetamol, "OLD-1", expiry=in_days(60))  # no source
    person = await person_with_card(client)
    # first expiry first: 3 of the state's lot, then 2 of the older unrecorded lot's
    assert (await dispense(pharmacist, clinic, paracetamol, person, 5)).status_code == 201
    assert (await dispense(pharmacist, clinic, paracetamol, person, 9)).status_code == 201

    report = await client.get(
        "/api/v1/reports/dispensing",
        params={"group_by": ["funding_source", "sponsor"]},
        headers={"Accept-Language": "vi"},
    )

    assert report.status_code == 200, report.text
    rows = [
        (r["funding_source"], r["funding_source_name"], r["sponsor"], r["quantity"], r["dispenses"])
        for r in report.json()["rows"]
    ]
    assert rows == [
        ("sponsor", "Đơn vị tài trợ", RED_CROSS, 1, 1),
        ("state-budget", "Ngân sách nhà nước", None, 3, 1),
        ("unknown", "Chưa ghi nhận", None, 10, 2),
    ]
    assert report.json()["total"]["quantity"] == 14  # each unit once, whoever paid
