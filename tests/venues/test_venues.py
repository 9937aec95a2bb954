"""Venues and visiting teams (issue 27, decision 0052): a drive held at a commune hall by a
facility's team, booked there as at the facility, and reported by venue."""

from typing import Any

import httpx

from tests.factories import create_facility
from tests.scheduling.conftest import EVERY_DAY, book, day, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.models import Role

HALL = {
    "name": "Nhà văn hoá xã Thanh Nưa",
    "kind": "commune-hall",
    "commune_code": "03127",
    "address": "Bản Mển, xã Thanh Nưa",
}
SPECIALTIES = ["internal-medicine", "ophthalmology"]


async def team_facility(client: httpx.AsyncClient, capacity: int = 5) -> dict[str, Any]:
    """A military hospital with two services and no sessions yet."""
    facility = await create_facility(client, level="military-hospital")
    for code in SPECIALTIES:
        made = await client.post(
            f"/api/v1/facilities/{facility['id']}/services",
            json={"specialty_code": code, "timetable": EVERY_DAY, "default_capacity": capacity},
        )
        assert made.status_code == 201, made.text
    return facility


async def create_venue(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    made = await client.post("/api/v1/venues", json={**HALL, **overrides})
    assert made.status_code == 201, made.text
    return dict(made.json())


async def plan_visit(
    client: httpx.AsyncClient, venue: dict, facility: dict, when: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/venues/{venue['id']}/visits",
        json={"facility_id": facility["id"], "date": when, "part_of_day": "morning", **extra},
    )


async def test_a_venue_is_registered_listed_and_changed(client: httpx.AsyncClient) -> None:
    venue = await create_venue(client)
    school = await create_venue(client, name="Trường THCS Thanh Nưa", kind="school")

    listed = await client.get("/api/v1/venues", params={"commune_code": "03127", "kind": "school"})
    assert [v["id"] for v in listed.json()["items"]] == [school["id"]]
    read = await client.get(f"/api/v1/venues/{venue['id']}")
    changed = await client.patch(
        f"/api/v1/venues/{venue['id']}",
        json={"active": False},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False
    unknown = await client.post("/api/v1/venues", json={**HALL, "commune_code": "99999"})
    assert unknown.status_code == 422
    closed = await plan_visit(client, venue, await team_facility(client), day(1))
    assert_problem(closed, 422, "unknown-venue")


async def test_only_schedulers_register_venues(client_for: Any) -> None:
    clinician = await client_for(Role.clinician)
    assert (await clinician.post("/api/v1/venues", json=HALL)).status_code == 403
    assert (await clinician.get("/api/v1/venues")).status_code == 200


async def test_a_visiting_team_holds_its_sessions_at_the_venue(client: httpx.AsyncClient) -> None:
    venue, facility = await create_venue(client), await team_facility(client)

    planned = await plan_visit(client, venue, facility, day(1), capacity=40)

    assert planned.status_code == 200, planned.text
    sessions = planned.json()["sessions"]
    assert [(s["specialty_code"], s["venue_id"], s["capacity"]) for s in sessions] == [
        (code, venue["id"], 40) for code in SPECIALTIES
    ]
    # the team is at the venue that morning: its services hold no other session then
    again = await plan_visit(client, venue, facility, day(1))
    assert_problem(again, 409, "duplicate")
    unknown = await plan_visit(client, venue, facility, day(2), specialty_codes=["ultrasound"])
    assert_problem(unknown, 422, "unknown-service")


async def test_a_checkup_at_the_venue_is_booked_as_at_the_facility(
    client: httpx.AsyncClient,
) -> None:
    venue, facility = await create_venue(client), await team_facility(client)
    planned = (await plan_visit(client, venue, facility, day(1))).json()["sessions"]
    person = await person_with_card(client)

    booked = await book(client, facility, person, day(1), SPECIALTIES, part_of_day="morning")

    assert booked.status_code == 201, booked.text
    held = {a["session_id"] for a in booked.json()["appointments"]}
    assert held == {s["id"] for s in planned}


async def test_attendance_groups_by_venue(client: httpx.AsyncClient) -> None:
    venue, facility = await create_venue(client), await team_facility(client)
    await plan_visit(client, venue, facility, day(1))
    services = (await client.get(f"/api/v1/facilities/{facility['id']}/services")).json()
    at_home = await client.post(
        "/api/v1/sessions",
        json={"service_id": services[0]["id"], "date": day(1), "part_of_day": "afternoon"},
    )
    assert at_home.status_code == 201, at_home.text
    code = services[0]["specialty_code"]
    for part in ("morning", "morning", "afternoon"):
        person = await person_with_card(client)
        made = await book(client, facility, person, day(1), [code], part_of_day=part)
        assert made.status_code == 201, made.text
    params = {"date_from": day(1), "date_to": day(1), "group_by": "venue"}

    vi = {"Accept-Language": "vi"}
    report = await client.get("/api/v1/reports/attendance", params=params, headers=vi)

    assert report.status_code == 200, report.text
    rows = {r["venue_name"]: r["booked"] for r in report.json()["rows"]}
    assert rows == {HALL["name"]: 2, "Tại cơ sở khám": 1}
    csv = await client.get("/api/v1/reports/attendance", params={**params, "format": "csv"})
    assert HALL["name"] in csv.text
