"""A desk scans a slip's QR code or a CCCD: the person and today's checkups, or a clear refusal."""

import uuid
from typing import Any

import httpx
import pytest

from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.config import Settings
from veteran_care.printouts import slip_token


@pytest.fixture
async def clinic(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_clinic(client, capacity=10, days=2)


def slip_code(settings: Settings, checkup: dict[str, Any]) -> str:
    return slip_token.sign(settings.secret_key, uuid.UUID(checkup["id"]))


def cccd_text(person: dict[str, Any]) -> str:
    return f"{person['national_id']}||{person['full_name']}|15031950|Nam|Xã Mường Phăng|20042021"


async def scan(client: httpx.AsyncClient, text: str, facility: dict[str, Any]) -> httpx.Response:
    return await client.post(
        "/api/v1/check-in-scans", json={"text": text, "facility_id": facility["id"]}
    )


async def test_a_slip_scanned_today_gives_the_person_then_check_in_gives_tickets(
    client: httpx.AsyncClient, settings: Settings, clinic: dict[str, Any]
) -> None:
    person = await person_with_card(client, full_name="Lò Văn Pọm")
    checkup = (await book(client, clinic, person, day(0))).json()
    found = await scan(client, slip_code(settings, checkup), clinic)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["via"] == "slip"
    assert body["person"]["full_name"] == "Lò Văn Pọm"
    assert [c["id"] for c in body["checkups"]] == [checkup["id"]]
    assert body["tickets"] == []
    checked = await client.post(f"/api/v1/checkups/{checkup['id']}/check-in")
    assert checked.status_code == 200, checked.text
    again = (await scan(client, slip_code(settings, checkup), clinic)).json()
    assert sorted(t["specialty_code"] for t in again["tickets"]) == sorted(
        a["specialty_code"] for a in checkup["appointments"]
    )
    assert {t["number"] for t in again["tickets"]} == {1}


async def test_a_cccd_scanned_finds_todays_checkup(
    client: httpx.AsyncClient, clinic: dict[str, Any]
) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(0))).json()
    found = await scan(client, cccd_text(person), clinic)
    assert found.status_code == 200, found.text
    assert found.json()["via"] == "cccd"
    assert [c["id"] for c in found.json()["checkups"]] == [checkup["id"]]


async def test_another_day_is_refused_with_its_date(
    client: httpx.AsyncClient, settings: Settings, clinic: dict[str, Any]
) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(1))).json()
    body = assert_problem(
        await scan(client, slip_code(settings, checkup), clinic), 409, "not-today"
    )
    assert body["checkup_date"] == day(1)
    body = assert_problem(await scan(client, cccd_text(person), clinic), 409, "not-today")
    assert body["checkup_date"] == day(1)


async def test_another_facility_is_refused_with_its_name(
    client: httpx.AsyncClient, settings: Settings, clinic: dict[str, Any]
) -> None:
    other = await make_clinic(client, capacity=10, days=1)
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(0))).json()
    body = assert_problem(
        await scan(client, slip_code(settings, checkup), other), 409, "other-facility"
    )
    assert body["facility_name"] == clinic["name"]
    assert_problem(await scan(client, cccd_text(person), other), 409, "other-facility")


async def test_what_cannot_be_read_or_matched_says_so(
    client: httpx.AsyncClient, clinic: dict[str, Any]
) -> None:
    forged = slip_token.sign("not this server's key", uuid.uuid4())
    assert_problem(await scan(client, forged, clinic), 422, "unreadable-slip-code")
    assert_problem(await scan(client, "hello", clinic), 422, "unreadable-scan")
    stranger = {"national_id": "011099999999", "full_name": "Người Lạ"}
    assert_problem(await scan(client, cccd_text(stranger), clinic), 404, "not-registered")
    person = await person_with_card(client)
    assert_problem(await scan(client, cccd_text(person), clinic), 409, "no-checkup-today")
