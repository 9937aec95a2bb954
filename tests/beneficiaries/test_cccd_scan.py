"""A desk scans the QR code of a chip CCCD: the registered person, or a registration filled in
from the card; text that is not such a code gets a 422 naming the part that is wrong."""

from datetime import date
from typing import Any

import httpx
import pytest

from tests.factories import beneficiary_payload, create_beneficiary, create_facility
from tests.test_conventions import assert_problem
from veteran_care.beneficiaries.cccd_qr import UnreadableScan, parse
from veteran_care.models import Role, Sex

TODAY = date(2026, 12, 7)
ADDRESS = "Bản Na Sang, Xã Mường Phăng, Tỉnh Điện Biên"


def qr(number: str = "011050001234", cmnd: str = "012345678", **parts: str) -> str:
    fields = {
        "name": "Nguyễn Văn An",
        "born": "15031950",
        "sex": "Nam",
        "address": ADDRESS,
        "issued": "20042021",
        **parts,
    }
    return "|".join([number, cmnd, *fields.values()])


def test_a_card_as_scanners_type_it_out() -> None:
    card = parse(qr(), TODAY)
    assert (card.national_id, card.legacy_cmnd, card.full_name) == (
        "011050001234",
        "012345678",
        "Nguyễn Văn An",
    )
    assert (card.birth_date, card.issued_on, card.sex) == (
        date(1950, 3, 15),
        date(2021, 4, 20),
        Sex.male,
    )
    assert card.address == ADDRESS


def test_slashed_dates_no_cmnd_and_parts_of_newer_cards() -> None:
    text = qr(cmnd="", born="02/09/1948", sex="Nữ", issued="10/07/2024") + "|Nguyễn Văn Cha|"
    card = parse(text, TODAY)
    assert (card.legacy_cmnd, card.birth_date, card.sex) == (None, date(1948, 9, 2), Sex.female)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("011050001234|Nguyễn Văn An", "7 parts separated by |; this text has 2"),
        (qr(number="01105000123"), "part 1 (the CCCD number) must be 12 digits"),
        (qr(cmnd="12345"), "part 2 (the old CMND number) must be 9 digits or empty"),
        (qr(name=""), "part 3 (the full name) must be a name"),
        (qr(born="1950-03-15"), "part 4 (the birth date) is not a date: ddmmyyyy"),
        (qr(born="31021950"), "part 4 (the birth date) is not a real date"),
        (qr(sex="M"), "part 5 (the sex) must be Nam or Nữ"),
        (qr(issued="31122027"), "the birth and issue dates must be in the past"),
    ],
)
def test_text_that_is_not_a_cccd_qr_code_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(UnreadableScan) as refused:
        parse(text, TODAY)
    assert says in str(refused.value)


async def _scan(client: httpx.AsyncClient, text: str) -> Any:
    return await client.post("/api/v1/beneficiaries/cccd-scans", json={"text": text})


async def test_a_registered_person_is_found_by_the_card(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client)
    found = (await _scan(client, qr(number=person["national_id"]))).json()
    assert found["beneficiary_id"] == person["id"]
    assert found["registration"] is None
    by_old_number = await create_beneficiary(client, national_id="031245678")
    found = (await _scan(client, qr(cmnd="031245678"))).json()
    assert found["beneficiary_id"] == by_old_number["id"]


async def test_an_unknown_card_gives_a_registration_to_complete(
    client: httpx.AsyncClient,
) -> None:
    number = beneficiary_payload()["national_id"]
    scanned = await _scan(client, qr(number=number, cmnd=""))
    assert scanned.status_code == 200, scanned.text
    body = scanned.json()
    assert body["beneficiary_id"] is None
    registration = body["registration"]
    assert registration == {
        "full_name": "Nguyễn Văn An",
        "birth_date": "1950-03-15",
        "sex": "male",
        "national_id": number,
        "address_line": ADDRESS,
        "commune_code": "03325",
    }
    created = await client.post("/api/v1/beneficiaries", json=registration)
    assert created.status_code == 201, created.text
    again = (await _scan(client, qr(number=number, cmnd=""))).json()
    assert again["beneficiary_id"] == created.json()["id"]


async def test_a_person_outside_the_desks_facilities_is_not_revealed(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    facility = await create_facility(client)
    elsewhere = await create_facility(client)
    person = await create_beneficiary(client, registered_facility_id=elsewhere["id"])
    desk = await client_for(Role.scheduler, province_wide=False, facility_ids=[facility["id"]])
    body = (await _scan(desk, qr(number=person["national_id"]))).json()
    assert body["beneficiary_id"] is None


async def test_unreadable_text_is_a_422_naming_the_part(client: httpx.AsyncClient) -> None:
    body = assert_problem(await _scan(client, qr(sex="X")), 422, "unreadable-cccd-qr")
    assert body["field"] == "text"
    assert "part 5 (the sex) must be Nam or Nữ" in body["detail"]
