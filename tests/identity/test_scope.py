"""Facility scope (out of scope is 404, lists exclude) and masked identifiers for reporters."""

import httpx

from tests.factories import beneficiary_payload, create_beneficiary, create_facility
from tests.test_conventions import assert_problem
from veteran_care.models import Role


async def test_scoped_staff_see_only_people_of_their_facilities(client, client_for) -> None:
    a = await create_facility(client)
    b = await create_facility(client)
    at_a = await create_beneficiary(client, registered_facility_id=a["id"], full_name="Lò Văn A")
    at_b = await create_beneficiary(client, registered_facility_id=b["id"], full_name="Lò Văn B")
    scheduler: httpx.AsyncClient = await client_for(
        Role.scheduler, province_wide=False, facility_ids=[a["id"]]
    )
    assert (await scheduler.get(f"/api/v1/beneficiaries/{at_a['id']}")).status_code == 200
    assert_problem(await scheduler.get(f"/api/v1/beneficiaries/{at_b['id']}"), 404)
    assert_problem(await scheduler.get(f"/api/v1/beneficiaries/{at_b['id']}/cards"), 404)
    found = (await scheduler.get("/api/v1/beneficiaries", params={"q": "lo van"})).json()
    assert [p["id"] for p in found["items"]] == [at_a["id"]]
    patch = await scheduler.patch(
        f"/api/v1/beneficiaries/{at_b['id']}",
        json={"phone": "0912345678"},
        headers={"If-Match": '"1"'},
    )
    assert_problem(patch, 404)


async def test_scoped_staff_register_at_their_own_facility(client, client_for) -> None:
    a = await create_facility(client)
    b = await create_facility(client)
    scheduler = await client_for(Role.scheduler, province_wide=False, facility_ids=[a["id"]])
    created = await scheduler.post("/api/v1/beneficiaries", json=beneficiary_payload())
    assert created.status_code == 201, created.text
    assert created.json()["registered_facility_id"] == a["id"]
    elsewhere = await scheduler.post(
        "/api/v1/beneficiaries", json=beneficiary_payload(registered_facility_id=b["id"])
    )
    assert_problem(elsewhere, 403, "out-of-scope")


async def test_scoped_staff_see_only_their_facilities(client, client_for) -> None:
    a = await create_facility(client)
    b = await create_facility(client)
    clinician = await client_for(Role.clinician, province_wide=False, facility_ids=[a["id"]])
    assert (await clinician.get(f"/api/v1/facilities/{a['id']}")).status_code == 200
    assert_problem(await clinician.get(f"/api/v1/facilities/{b['id']}"), 404)
    listed = (await clinician.get("/api/v1/facilities", params={"limit": 200})).json()
    assert [f["id"] for f in listed["items"]] == [a["id"]]


async def test_reporter_sees_identifiers_masked_but_the_last_four(client, client_for) -> None:
    person = await create_beneficiary(client, bhxh_number="1155667788", national_id="011050123456")
    card = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards",
        json={
            "number": "CB2111155667788",
            "valid_from": "2020-01-01",
            "valid_to": "2099-12-31",
            "registration_facility_code": "11001",
        },
    )
    assert card.status_code == 201
    reporter = await client_for(Role.reporter)
    read = (await reporter.get(f"/api/v1/beneficiaries/{person['id']}")).json()
    assert read["national_id"] == "********3456"
    assert read["bhxh_number"] == "******7788"
    assert read["current_card"]["number"] == "***********7788"
    assert read["full_name"] == person["full_name"]
    listed = await reporter.get("/api/v1/beneficiaries", params={"q": person["national_id"]})
    assert listed.json()["items"][0]["national_id"] == "********3456"
    cards = (await reporter.get(f"/api/v1/beneficiaries/{person['id']}/cards")).json()
    assert cards["items"][0]["number"] == "***********7788"
    clinician = await client_for(Role.clinician)
    clear = (await clinician.get(f"/api/v1/beneficiaries/{person['id']}")).json()
    assert clear["national_id"] == "011050123456"


async def test_scoped_admin_cannot_manage_accounts(client, client_for) -> None:
    a = await create_facility(client)
    admin = await client_for(Role.admin, province_wide=False, facility_ids=[a["id"]])
    response = await admin.post(
        "/api/v1/users",
        json={
            "username": "escalate",
            "full_name": "Escalate",
            "password": "long enough password",
            "roles": ["admin"],
            "province_wide": True,
        },
    )
    assert_problem(response, 403, "forbidden")
