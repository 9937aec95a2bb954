"""A province officer's scheduling views (decision 0062): the due list, the worklist, a
campaign's bulk scheduling and the village list take in the residents of the officer's
provinces, as the beneficiaries list does (decision 0054), not only the people registered at
the province's facilities; a resident of another province is there only when registered at
one of the officer's facilities."""

import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.provinces import DIEN_BIEN_COMMUNE, LAI_CHAU_WARD
from tests.scheduling.conftest import day, person_with_card
from veteran_care.models import Role

OFFICERS = ("11", "12")  # Điện Biên, Lai Châu


@pytest.fixture
async def due(provinces: dict[str, Any], client: httpx.AsyncClient) -> dict[str, Any]:
    """Due people living in Lai Châu: the fixture's one registered at no facility, one with a
    card registered at no facility, one registered at the Điện Biên clinic; and a Điện Biên
    resident registered at no facility. (The fixture's booked people are not due.)"""
    return {
        "unplaced": provinces["12"]["unplaced"],
        "carded": await person_with_card(
            client, full_name="Tẩn Văn Thắng", commune_code=LAI_CHAU_WARD
        ),
        "across": await person_with_card(
            client,
            full_name="Lò Thị Xuân",
            commune_code=LAI_CHAU_WARD,
            registered_facility_id=provinces["11"]["clinic"]["id"],
        ),
        "dien_bien": await person_with_card(
            client, full_name="Quàng Văn Hải", commune_code=DIEN_BIEN_COMMUNE
        ),
    }


def _expected(due: dict[str, Any], province: str) -> set[str]:
    """Whom each officer sees: their residents, and the people of their clinic."""
    names = {"11": ("across", "dien_bien"), "12": ("unplaced", "carded", "across")}[province]
    return {due[name]["id"] for name in names}


async def _officer(client_for: Any, province: str) -> httpx.AsyncClient:
    officer: httpx.AsyncClient = await client_for(
        Role.scheduler, province_wide=False, province_codes=[province]
    )
    return officer


async def _ids(officer: httpx.AsyncClient, url: str, key: str, **params: Any) -> set[str]:
    response = await officer.get(url, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return {entry[key] for entry in response.json()["items"]}


@pytest.mark.parametrize("province", OFFICERS)
async def test_the_due_list_and_worklist_hold_the_officers_residents(
    due: dict[str, Any], client_for: Any, province: str
) -> None:
    officer = await _officer(client_for, province)
    expected = _expected(due, province)
    assert await _ids(officer, "/api/v1/due-list", "beneficiary_id") == expected
    assert await _ids(officer, "/api/v1/worklist", "beneficiary_id") == expected
    # the same people as the beneficiaries list, less those not due (booked ahead)
    seen = await _ids(officer, "/api/v1/beneficiaries", "id")
    assert expected < seen
    lai_chau = await _ids(officer, "/api/v1/due-list", "beneficiary_id", commune_code=LAI_CHAU_WARD)
    assert lai_chau == expected - {due["dien_bien"]["id"]}


@pytest.mark.parametrize("province", OFFICERS)
async def test_bulk_scheduling_invites_the_officers_residents(
    provinces: dict[str, Any],
    due: dict[str, Any],
    client: httpx.AsyncClient,
    client_for: Any,
    province: str,
) -> None:
    clinic = provinces[province]["clinic"]
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Khám định kỳ vùng cao",
            "starts_on": day(1),
            "ends_on": day(2),
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": ["internal-medicine"],
        },
    )
    assert campaign.status_code == 201, campaign.text
    officer = await _officer(client_for, province)
    result = await officer.post(
        f"/api/v1/campaigns/{campaign.json()['id']}/bulk-schedule",
        json={"facility_id": clinic["id"], "commune_codes": [LAI_CHAU_WARD]},
    )
    assert result.status_code == 200, result.text
    body = result.json()
    booked = {b["beneficiary_id"] for b in body["booked"]}
    refused = {n["beneficiary_id"]: n["reason"] for n in body["not_booked"]}
    assert booked | set(refused) == _expected(due, province) - {due["dien_bien"]["id"]}
    if province == "12":  # the fixture's resident has no card: invited, not booked
        assert refused == {due["unplaced"]["id"]: "card-not-valid"}
        assert booked == {due["carded"]["id"], due["across"]["id"]}


def _names(sheet: httpx.Response) -> set[str]:
    assert sheet.status_code == 200, sheet.text
    rows = load_workbook(io.BytesIO(sheet.content)).active.values
    return {str(cell) for row in rows for cell in row if cell is not None}


async def test_the_village_list_prints_the_officers_residents(
    due: dict[str, Any], client_for: Any
) -> None:
    params = {"commune_code": LAI_CHAU_WARD, "format": "xlsx"}
    url = "/api/v1/worklist/village-list"
    printed = {
        p: _names(await (await _officer(client_for, p)).get(url, params=params)) for p in OFFICERS
    }
    lai_chau = {due[n]["full_name"] for n in ("carded", "across")}
    assert lai_chau <= printed["12"]
    assert "Tẩn Văn Thắng" not in printed["11"]  # a Lai Châu resident of no Điện Biên clinic
    assert "Lò Thị Xuân" in printed["11"]  # registered at the Điện Biên clinic
