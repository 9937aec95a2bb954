"""FHIR as /api/v1 for a province's officer (decision 0054): the people living in the province
are theirs, registered at no facility or at one of the province's; another province's officer
finds none of them, and reads them as not found (404)."""

from typing import Any

import httpx
import pytest

from tests.fhir.conftest import FHIR
from tests.fhir.test_search import every_page, search
from tests.scheduling.conftest import day
from veteran_care.models import Role


@pytest.fixture
async def resident(provinces: dict[str, Any], client: httpx.AsyncClient) -> dict[str, Any]:
    """The Lai Châu resident registered at no facility, with a card."""
    person = provinces["12"]["unplaced"]
    card = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards",
        json={
            "number": person["bhxh_number"],
            "valid_from": day(-30),
            "valid_to": day(300),
            "registration_facility_code": "12001",
        },
    )
    assert card.status_code == 201, card.text
    return {"person": person, "card": card.json()}


@pytest.mark.parametrize(("officer_of", "theirs"), [("12", True), ("11", False)])
async def test_a_province_officer_finds_the_residents_of_their_province(
    provinces: dict[str, Any],
    resident: dict[str, Any],
    client_for: Any,
    officer_of: str,
    theirs: bool,
) -> None:
    officer: httpx.AsyncClient = await client_for(
        Role.scheduler, province_wide=False, province_codes=[officer_of]
    )
    person, card = resident["person"], resident["card"]
    own = {provinces[officer_of]["person"]["id"]}
    listed = await every_page(officer, "Patient", {"_count": 2})
    assert set(listed) == (own | {person["id"]} if theirs else own)
    by_name = await every_page(officer, "Patient", {"name": person["full_name"]})
    assert (person["id"] in by_name) is theirs
    count = await search(officer, "Patient", {"_summary": "count"})
    assert count["total"] == len(listed)
    cards = await every_page(officer, "Coverage", {"patient": person["id"]})
    assert cards == ([card["id"]] if theirs else [])
    for path in (f"Patient/{person['id']}", f"Coverage/{card['id']}"):
        read = await officer.get(f"{FHIR}/{path}")
        assert read.status_code == (200 if theirs else 404), read.text
        if not theirs:
            assert read.json()["resourceType"] == "OperationOutcome"
