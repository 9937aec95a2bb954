"""Province scope and nation-wide accounts (decision 0054), as facility scope is tested in
test_scope.py: in a deployment serving Điện Biên (11) and Lai Châu (12), each province's
officer sees exactly their province's people, facilities and reports (out of scope is 404);
the nation-wide account sees both in reports, per province, and writes nothing."""

from typing import Any

import httpx
import pytest

from tests.provinces import LAI_CHAU_WARD
from tests.scheduling.conftest import book, day
from tests.test_conventions import assert_problem
from veteran_care.models import Role


async def _officer(client_for: Any, province: str) -> httpx.AsyncClient:
    officer: httpx.AsyncClient = await client_for(
        Role.scheduler, Role.reporter, province_wide=False, province_codes=[province]
    )
    return officer


@pytest.mark.parametrize(("mine", "theirs"), [("12", "11"), ("11", "12")])
async def test_a_province_officer_sees_exactly_their_province(
    provinces: dict[str, Any], client_for: Any, mine: str, theirs: str
) -> None:
    officer = await _officer(client_for, mine)
    own, other = provinces[mine], provinces[theirs]
    people = (await officer.get("/api/v1/beneficiaries", params={"limit": 200})).json()
    expected = {own["person"]["id"]} | ({own["unplaced"]["id"]} if "unplaced" in own else set())
    assert {p["id"] for p in people["items"]} == expected
    assert (await officer.get(f"/api/v1/beneficiaries/{own['person']['id']}")).status_code == 200
    assert_problem(await officer.get(f"/api/v1/beneficiaries/{other['person']['id']}"), 404)
    facilities = (await officer.get("/api/v1/facilities", params={"limit": 200})).json()
    assert [f["id"] for f in facilities["items"]] == [own["clinic"]["id"]]
    assert_problem(await officer.get(f"/api/v1/facilities/{other['clinic']['id']}"), 404)
    report = await officer.get("/api/v1/reports/attendance", params={"group_by": "facility"})
    assert {r["facility"]: r["booked"] for r in report.json()["rows"]} == {own["clinic"]["id"]: 1}
    elsewhere = await book(officer, other["clinic"], own["person"], day(2), ["internal-medicine"])
    assert elsewhere.status_code in (403, 404), elsewhere.text


async def test_a_lai_chau_officer_registers_at_their_provinces_facilities(
    provinces: dict[str, Any], client_for: Any
) -> None:
    officer = await _officer(client_for, "12")
    lai_chau, dien_bien = provinces["12"]["clinic"], provinces["11"]["clinic"]
    created = await officer.post(
        "/api/v1/beneficiaries",
        json={
            "full_name": "Tẩn A Sử",
            "birth_year": 1952,
            "sex": "male",
            "ethnicity_code": "08",
            "commune_code": LAI_CHAU_WARD,
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["registered_facility_id"] == lai_chau["id"]  # their only facility
    refused = await officer.post(
        "/api/v1/beneficiaries",
        json={
            "full_name": "Lò Văn Sáng",
            "birth_year": 1950,
            "sex": "male",
            "ethnicity_code": "03",
            "registered_facility_id": dien_bien["id"],
        },
    )
    assert_problem(refused, 403, "out-of-scope")


async def test_the_nation_wide_account_reads_every_province_per_province_and_writes_nothing(
    provinces: dict[str, Any], client_for: Any
) -> None:
    ministry: httpx.AsyncClient = await client_for(
        Role.reporter, province_wide=False, nation_wide=True
    )
    report = await ministry.get("/api/v1/reports/attendance", params={"group_by": "province"})
    assert report.status_code == 200, report.text
    assert {r["province"]: r["booked"] for r in report.json()["rows"]} == {"11": 1, "12": 1}
    names = await ministry.get(
        "/api/v1/reports/attendance", params={"group_by": "province", "format": "csv"}
    )
    assert "Lai Châu" in names.text
    assert "Điện Biên" in names.text
    me = (await ministry.get("/api/v1/auth/me")).json()
    assert (me["nation_wide"], me["province_codes"]) == (True, [])
    registry = await ministry.get("/api/v1/beneficiaries")
    assert_problem(registry, 403, "forbidden")
    write = await ministry.post(
        "/api/v1/beneficiaries", json={"full_name": "A", "birth_year": 1950, "sex": "male"}
    )
    assert_problem(write, 403, "forbidden")


async def test_accounts_name_provinces_the_deployment_serves(
    both: None, client: httpx.AsyncClient
) -> None:
    body = {
        "username": "can.bo.lai.chau",
        "full_name": "Lò Thị Mai",
        "password": "a long enough passphrase",
        "roles": ["reporter"],
        "province_codes": ["12"],
    }
    created = await client.post("/api/v1/users", json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["province_codes"], created.json()["facility_ids"]) == (["12"], [])
    son_la = await client.post(
        "/api/v1/users", json={**body, "username": "can.bo.son.la", "province_codes": ["14"]}
    )
    problem = assert_problem(son_la, 422, "province-not-served")
    assert problem["field"] == "province_codes.0"
    mixed = await client.post(
        "/api/v1/users",
        json={
            **body,
            "username": "bo.noi.vu",
            "province_codes": [],
            "nation_wide": True,
            "province_wide": True,
        },
    )
    assert_problem(mixed, 422, "validation-error")
    ministry = await client.post(
        "/api/v1/clients",
        json={
            "client_id": "bo-noi-vu",
            "name": "Bộ Nội vụ",
            "roles": ["reporter"],
            "nation_wide": True,
        },
    )
    assert ministry.status_code == 201, ministry.text
    assert ministry.json()["nation_wide"] is True
