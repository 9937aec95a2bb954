"""Health-insurance cards: both number formats, BHXH match, validity, status, current card."""

from datetime import date, timedelta

import httpx
import pytest

from tests.factories import create_beneficiary
from tests.test_conventions import assert_problem


def card(number: str, valid_from: date, valid_to: date, **extra: object) -> dict[str, object]:
    return {
        "number": number,
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat(),
        "registration_facility_code": "11001",
        **extra,
    }


TODAY = date.today()
THIS_YEAR = (date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
LAST_YEAR = (date(TODAY.year - 1, 1, 1), date(TODAY.year - 1, 12, 31))


@pytest.fixture
async def person(client: httpx.AsyncClient) -> dict:
    return await create_beneficiary(client, bhxh_number="1122334455")


async def test_legacy_15_character_card_is_parsed(client: httpx.AsyncClient, person) -> None:
    response = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards", json=card("CB2111122334455", *THIS_YEAR)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number_format"] == "legacy-15"
    assert body["object_code"] == "CB"
    assert body["benefit_level"] == 2
    assert body["province_code"] == "11"
    assert body["bhxh_number"] == "1122334455"
    assert body["status"] == "active"


async def test_10_digit_card_is_the_bhxh_number(client: httpx.AsyncClient, person) -> None:
    response = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards", json=card("1122334455", *THIS_YEAR)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number_format"] == "bhxh-10"
    assert body["object_code"] is None
    assert body["benefit_level"] is None


@pytest.mark.parametrize("number", ["CB2111199999999", "1199999999"])
async def test_card_of_another_bhxh_number_is_refused(
    client: httpx.AsyncClient, person, number: str
) -> None:
    response = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards", json=card(number, *THIS_YEAR)
    )
    assert_problem(response, 422, "card-bhxh-mismatch")
    cards = await client.get(f"/api/v1/beneficiaries/{person['id']}/cards")
    assert cards.json()["items"] == []


@pytest.mark.parametrize(
    "number",
    ["CB6111122334455", "C12111122334455", "CB21111223344", "112233445", "CB211112233445X"],
)
async def test_malformed_card_numbers_are_refused(
    client: httpx.AsyncClient, person, number: str
) -> None:
    response = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards", json=card(number, *THIS_YEAR)
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "body.number"


async def test_valid_to_before_valid_from_is_refused(client: httpx.AsyncClient, person) -> None:
    response = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards",
        json=card("1122334455", THIS_YEAR[1], THIS_YEAR[0]),
    )
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body.valid_to"]


async def test_facility_code_must_be_5_characters(client: httpx.AsyncClient, person) -> None:
    payload = card("1122334455", *THIS_YEAR)
    payload["registration_facility_code"] = "1100"
    response = await client.post(f"/api/v1/beneficiaries/{person['id']}/cards", json=payload)
    assert_problem(response, 422)


async def test_person_without_bhxh_number_cannot_get_a_card(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client, bhxh_number=None)
    response = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards", json=card("1122334455", *THIS_YEAR)
    )
    assert_problem(response, 422, "bhxh-number-missing")


async def test_same_card_twice_is_409(client: httpx.AsyncClient, person) -> None:
    url = f"/api/v1/beneficiaries/{person['id']}/cards"
    assert (await client.post(url, json=card("1122334455", *THIS_YEAR))).status_code == 201
    response = await client.post(url, json=card("1122334455", *THIS_YEAR))
    assert_problem(response, 409, "duplicate")


async def test_current_card_is_the_one_valid_today(client: httpx.AsyncClient, person) -> None:
    url = f"/api/v1/beneficiaries/{person['id']}"
    expired = await client.post(f"{url}/cards", json=card("CB2111122334455", *LAST_YEAR))
    assert expired.status_code == 201
    assert (await client.get(url)).json()["current_card"] is None
    current = await client.post(f"{url}/cards", json=card("1122334455", *THIS_YEAR))
    assert (await client.get(url)).json()["current_card"]["id"] == current.json()["id"]
    history = (await client.get(f"{url}/cards")).json()["items"]
    assert {c["id"] for c in history} == {expired.json()["id"], current.json()["id"]}


async def test_future_card_is_not_current(client: httpx.AsyncClient, person) -> None:
    start = TODAY + timedelta(days=10)
    url = f"/api/v1/beneficiaries/{person['id']}"
    await client.post(f"{url}/cards", json=card("1122334455", start, start + timedelta(days=365)))
    assert (await client.get(url)).json()["current_card"] is None


async def test_cancelled_card_is_not_current_and_keeps_its_history(
    client: httpx.AsyncClient, person
) -> None:
    url = f"/api/v1/beneficiaries/{person['id']}"
    created = (await client.post(f"{url}/cards", json=card("1122334455", *THIS_YEAR))).json()
    card_url = f"{url}/cards/{created['id']}"
    assert_problem(await client.patch(card_url, json={"status": "cancelled"}), 428)
    response = await client.patch(
        card_url, json={"status": "cancelled"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert (await client.get(url)).json()["current_card"] is None
    assert (await client.get(card_url)).json()["status"] == "cancelled"


async def test_entered_in_error_is_final(client: httpx.AsyncClient, person) -> None:
    url = f"/api/v1/beneficiaries/{person['id']}"
    created = (await client.post(f"{url}/cards", json=card("1122334455", *THIS_YEAR))).json()
    card_url = f"{url}/cards/{created['id']}"
    response = await client.patch(
        card_url, json={"status": "entered-in-error"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200
    response = await client.patch(card_url, json={"status": "active"}, headers={"If-Match": '"2"'})
    assert_problem(response, 409, "invalid-status-transition")


async def test_card_of_another_beneficiary_is_404(client: httpx.AsyncClient, person) -> None:
    other = await create_beneficiary(client)
    url = f"/api/v1/beneficiaries/{person['id']}/cards"
    created = (await client.post(url, json=card("1122334455", *THIS_YEAR))).json()
    response = await client.get(f"/api/v1/beneficiaries/{other['id']}/cards/{created['id']}")
    assert_problem(response, 404)
