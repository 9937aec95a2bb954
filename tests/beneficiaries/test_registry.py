"""Registering, reading and updating beneficiaries."""

import json
from typing import Any

import httpx
import pytest

from tests.factories import beneficiary_payload, create_beneficiary, create_facility
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import Role


async def test_register_and_read_back(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(
        full_name="Quàng Văn Hặc",
        birth_date="1951-03-02",
        birth_year=None,
        phone="0912 345 678",
        address_line="Bản Co Mỵ",
        legacy_district="Huyện Điện Biên Đông",
        categories=[
            {"code": "veteran"},
            {"code": "wounded-soldier", "disability_rate": 61, "recognition_date": "1979-05-01"},
        ],
    )
    created = await client.post("/api/v1/beneficiaries", json=payload)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"/api/v1/beneficiaries/{body['id']}"
    assert body["birth_year"] == 1951
    assert body["national_id_type"] == "cccd"
    assert body["phone"] == "0912345678"
    assert body["status"] == "active"
    assert body["current_card"] is None
    assert {c["code"]: c["disability_rate"] for c in body["categories"]} == {
        "veteran": None,
        "wounded-soldier": 61,
    }
    read = await client.get(f"/api/v1/beneficiaries/{body['id']}")
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert read.json() == body


async def test_birth_year_alone_is_enough(client: httpx.AsyncClient) -> None:
    body = await create_beneficiary(client, birth_year=1946)
    assert body["birth_date"] is None
    assert body["birth_year"] == 1946


async def test_birth_date_and_year_must_agree(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(birth_date="1950-01-01", birth_year=1951)
    assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)


async def test_birth_date_or_year_is_required(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(birth_year=None)
    assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)


async def test_birth_date_in_the_future_is_refused(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(birth_date="2999-01-01", birth_year=None)
    assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)


async def test_name_is_stored_nfc(client: httpx.AsyncClient) -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hồng")
    body = await create_beneficiary(client, full_name=nfd)
    assert body["full_name"] == unicodedata.normalize("NFC", "Nguyễn Thị Hồng")


async def test_legacy_cmnd_is_accepted_and_marked(client: httpx.AsyncClient) -> None:
    body = await create_beneficiary(client, national_id="011234567")
    assert body["national_id_type"] == "cmnd"


@pytest.mark.parametrize("national_id", ["01105800123", "0110580012345", "01105800123A"])
async def test_malformed_national_id_is_refused(
    client: httpx.AsyncClient, national_id: str
) -> None:
    payload = beneficiary_payload(national_id=national_id)
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)
    assert body["errors"][0]["field"] == "body.national_id"


async def test_duplicate_cccd_is_a_409_naming_the_existing_record(
    client: httpx.AsyncClient,
) -> None:
    first = await create_beneficiary(client)
    payload = beneficiary_payload(national_id=first["national_id"])
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 409)
    assert body["code"] == "duplicate"
    assert body["fields"] == ["national_id"]
    assert body["existing_id"] == first["id"]


async def test_duplicate_bhxh_number_is_a_409(client: httpx.AsyncClient) -> None:
    first = await create_beneficiary(client)
    payload = beneficiary_payload(bhxh_number=first["bhxh_number"])
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 409)
    assert body["fields"] == ["bhxh_number"]
    assert body["existing_id"] == first["id"]


async def test_unknown_references_are_422_naming_the_field(client: httpx.AsyncClient) -> None:
    cases = {
        "commune_code": {"commune_code": "99999"},
        "ethnicity_code": {"ethnicity_code": "77"},
        "registered_facility_id": {
            "registered_facility_id": "0f8fad5b-d9cb-469f-a165-70867728950e"
        },
        "categories": {"categories": [{"code": "astronaut"}]},
    }
    for field, override in cases.items():
        response = await client.post("/api/v1/beneficiaries", json=beneficiary_payload(**override))
        body = assert_problem(response, 422)
        assert body["field"] == field


async def test_wounded_soldier_needs_a_disability_rate(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(categories=[{"code": "wounded-soldier"}])
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)
    assert body["code"] == "disability-rate-required"


@pytest.mark.parametrize(
    ("code", "refused", "accepted"), [("wounded-soldier", 20, 21), ("sick-soldier", 40, 41)]
)
async def test_a_disability_rate_below_the_legal_range_is_refused(
    client: httpx.AsyncClient, code: str, refused: int, accepted: int
) -> None:
    low = beneficiary_payload(categories=[{"code": code, "disability_rate": refused}])
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=low), 422)
    assert body["code"] == "disability-rate-out-of-range"
    assert body["field"] == "categories.0.disability_rate"
    assert f"{accepted}-100 %" in body["detail"]
    lowest = beneficiary_payload(categories=[{"code": code, "disability_rate": accepted}])
    assert (await client.post("/api/v1/beneficiaries", json=lowest)).status_code == 201
    listed = (await client.get("/api/v1/beneficiary-categories")).json()["items"]
    assert {c["code"]: c["min_disability_rate"] for c in listed}[code] == accepted


@pytest.mark.parametrize(
    ("birth", "field"),
    [
        ({"birth_date": "1950-05-01", "birth_year": 1951}, "body.birth_year"),
        ({"birth_date": None, "birth_year": None}, "body.birth_year"),
        ({"birth_date": "1899-12-31"}, "body.birth_date"),
    ],
    ids=["year-not-of-the-date", "neither", "before-1900"],
)
async def test_a_birth_that_does_not_add_up_names_its_field(
    client: httpx.AsyncClient, birth: dict[str, object], field: str
) -> None:
    payload = {**beneficiary_payload(), **birth}
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)
    assert [e["field"] for e in body["errors"]] == [field]


async def test_a_birth_year_in_the_future_is_refused(client: httpx.AsyncClient) -> None:
    next_year = today().year + 1
    payload = beneficiary_payload(birth_year=next_year)
    payload.pop("birth_date", None)
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)
    assert [e["field"] for e in body["errors"]] == ["body.birth_year"]
    this_year = beneficiary_payload(birth_year=today().year)
    this_year.pop("birth_date", None)
    assert (await client.post("/api/v1/beneficiaries", json=this_year)).status_code == 201


async def test_veteran_has_no_disability_rate(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(categories=[{"code": "veteran", "disability_rate": 30}])
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)
    assert body["code"] == "disability-rate-not-applicable"


async def test_a_category_listed_twice_is_refused(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(categories=[{"code": "veteran"}, {"code": "veteran"}])
    assert_problem(await client.post("/api/v1/beneficiaries", json=payload), 422)


async def test_registered_facility_is_kept(client: httpx.AsyncClient) -> None:
    facility = await create_facility(client)
    body = await create_beneficiary(client, registered_facility_id=facility["id"])
    assert body["registered_facility_id"] == facility["id"]


async def test_unknown_beneficiary_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/beneficiaries/0f8fad5b-d9cb-469f-a165-70867728950e")
    assert_problem(response, 404, "not-found")


class TestUpdate:
    async def test_needs_if_match(self, client: httpx.AsyncClient) -> None:
        person = await create_beneficiary(client)
        response = await client.patch(
            f"/api/v1/beneficiaries/{person['id']}", json={"phone": "0987654321"}
        )
        assert_problem(response, 428, "precondition-required")

    async def test_stale_if_match_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        person = await create_beneficiary(client)
        url = f"/api/v1/beneficiaries/{person['id']}"
        first = await client.patch(url, json={"phone": "0987654321"}, headers={"If-Match": '"1"'})
        assert first.status_code == 200, first.text
        assert first.headers["etag"] == '"2"'
        stale = await client.patch(url, json={"phone": "0911111111"}, headers={"If-Match": '"1"'})
        body = assert_problem(stale, 412, "precondition-failed")
        assert body["current_etag"] == '"2"'
        assert (await client.get(url)).json()["phone"] == "0987654321"

    async def test_partial_update_changes_only_what_is_sent(
        self, client: httpx.AsyncClient
    ) -> None:
        person = await create_beneficiary(client, phone="0912345678")
        url = f"/api/v1/beneficiaries/{person['id']}"
        response = await client.patch(
            url, json={"full_name": "Lò Văn Pọm Mới"}, headers={"If-Match": '"1"'}
        )
        body = response.json()
        assert body["full_name"] == "Lò Văn Pọm Mới"
        assert body["phone"] == "0912345678"
        assert body["version"] == 2
        found = await client.get("/api/v1/beneficiaries", params={"q": "pom moi"})
        assert [p["id"] for p in found.json()["items"]] == [person["id"]]

    async def test_categories_change_bumps_the_version(self, client: httpx.AsyncClient) -> None:
        person = await create_beneficiary(client)
        url = f"/api/v1/beneficiaries/{person['id']}"
        response = await client.patch(
            url,
            json={"categories": [{"code": "sick-soldier", "disability_rate": 45}]},
            headers={"If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"2"'
        assert [c["code"] for c in response.json()["categories"]] == ["sick-soldier"]

    async def test_deceased_needs_a_date_of_death(self, client: httpx.AsyncClient) -> None:
        person = await create_beneficiary(client)
        url = f"/api/v1/beneficiaries/{person['id']}"
        response = await client.patch(url, json={"status": "deceased"}, headers={"If-Match": '"1"'})
        assert_problem(response, 422, "date-of-death-required")
        response = await client.patch(
            url,
            json={"status": "deceased", "date_of_death": "2024-02-03"},
            headers={"If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "deceased"
        assert response.json()["date_of_death"] == "2024-02-03"

    async def test_date_of_death_only_for_the_deceased(self, client: httpx.AsyncClient) -> None:
        person = await create_beneficiary(client)
        response = await client.patch(
            f"/api/v1/beneficiaries/{person['id']}",
            json={"date_of_death": "2024-02-03"},
            headers={"If-Match": '"1"'},
        )
        assert_problem(response, 422, "date-of-death-not-applicable")

    async def test_taking_another_persons_cccd_is_409(self, client: httpx.AsyncClient) -> None:
        first = await create_beneficiary(client)
        second = await create_beneficiary(client)
        response = await client.patch(
            f"/api/v1/beneficiaries/{second['id']}",
            json={"national_id": first["national_id"]},
            headers={"If-Match": '"1"'},
        )
        body = assert_problem(response, 409, "duplicate")
        assert body["existing_id"] == first["id"]

    async def test_required_fields_cannot_be_nulled(self, client: httpx.AsyncClient) -> None:
        person = await create_beneficiary(client)
        response = await client.patch(
            f"/api/v1/beneficiaries/{person['id']}",
            json={"full_name": None},
            headers={"If-Match": '"1"'},
        )
        assert_problem(response, 422)

    async def test_a_bare_year_replaces_a_date_of_another_year(
        self, client: httpx.AsyncClient
    ) -> None:
        person = await create_beneficiary(client, birth_date="1950-06-01", birth_year=None)
        response = await client.patch(
            f"/api/v1/beneficiaries/{person['id']}",
            json={"birth_year": 1949},
            headers={"If-Match": '"1"'},
        )
        assert response.json()["birth_year"] == 1949
        assert response.json()["birth_date"] is None


async def test_there_is_no_delete(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client)
    response = await client.delete(f"/api/v1/beneficiaries/{person['id']}")
    assert_problem(response, 405)


async def test_a_reporter_sees_every_masked_field_masked_everywhere(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    """One rule: national id, BHXH number, card number and phone show their last 4 characters
    only, in the registry, on cards and in the FHIR view alike."""
    person = await create_beneficiary(client, phone="0912345678")
    year = today().year
    card = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards",
        json={
            "number": person["bhxh_number"],
            "valid_from": f"{year - 1}-01-01",
            "valid_to": f"{year + 1}-12-31",
            "registration_facility_code": "11001",
        },
    )
    assert card.status_code == 201, card.text
    reporter = await client_for(Role.reporter)
    read = (await reporter.get(f"/api/v1/beneficiaries/{person['id']}")).json()
    shown = {
        "national_id": read["national_id"],
        "bhxh_number": read["bhxh_number"],
        "phone": read["phone"],
        "card number": read["current_card"]["number"],
        "card bhxh_number": read["current_card"]["bhxh_number"],
    }
    assert all(value.startswith("*") for value in shown.values()), shown
    assert shown["phone"] == "******5678"
    patient = (await reporter.get(f"/fhir/r4/Patient/{person['id']}")).json()
    assert patient["telecom"][0]["value"] == "******5678"
    assert "0912345678" not in json.dumps(patient)
    full = (await client.get(f"/api/v1/beneficiaries/{person['id']}")).json()
    assert full["phone"] == "0912345678"
