"""Campaigns, the due list and bulk scheduling."""

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_beneficiary
from tests.scheduling.conftest import book, day, make_clinic, person_with_card, sessions_on
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import Appointment, AppointmentStatus


async def _campaign(client: httpx.AsyncClient, clinic, **overrides) -> dict:
    payload = {
        "name": "Khám định kỳ 27/7",
        "starts_on": day(1),
        "ends_on": day(5),
        "facility_ids": [clinic["id"]],
        "target_categories": ["veteran", "wounded-soldier"],
        "specialty_codes": ["internal-medicine", "ultrasound"],
        **overrides,
    }
    response = await client.post("/api/v1/campaigns", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


async def _due_ids(client: httpx.AsyncClient, **params) -> set[str]:
    response = await client.get("/api/v1/due-list", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return {e["beneficiary_id"] for e in response.json()["items"]}


async def _fulfil(session: AsyncSession, checkup: dict, days_ago: int) -> None:
    await session.execute(
        update(Appointment)
        .where(Appointment.checkup_id == uuid.UUID(checkup["id"]))
        .values(status=AppointmentStatus.fulfilled, date=today() - timedelta(days=days_ago))
    )
    await session.commit()


async def test_due_list_follows_intervals_bookings_and_fulfilled_checks(
    client: httpx.AsyncClient, clinic, session: AsyncSession
) -> None:
    commune = "03358"
    never = await person_with_card(client, commune_code=commune)
    booked = await person_with_card(client, commune_code=commune)
    recent = await person_with_card(client, commune_code=commune)
    old = await person_with_card(client, commune_code=commune)
    await book(client, clinic, booked, day(3))
    await _fulfil(session, (await book(client, clinic, recent, day(1))).json(), 45)
    await _fulfil(session, (await book(client, clinic, old, day(2))).json(), 500)
    due = await _due_ids(client, commune_code=commune)
    assert due == {never["id"], old["id"]}
    overdue = await client.get(
        "/api/v1/due-list", params={"commune_code": commune, "status": "overdue"}
    )
    entries = {e["beneficiary_id"]: e for e in overdue.json()["items"]}
    assert set(entries) == {never["id"], old["id"]}
    assert entries[never["id"]]["last_checked_on"] is None
    # A shorter interval makes the recent one due as well.
    changed = await client.patch(
        "/api/v1/beneficiary-categories/veteran", json={"check_interval_months": 1}
    )
    assert changed.status_code == 200, changed.text
    assert recent["id"] in await _due_ids(client, commune_code=commune)


async def test_deceased_people_are_never_due(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client, commune_code="03356")
    await client.patch(
        f"/api/v1/beneficiaries/{person['id']}",
        json={"status": "deceased", "date_of_death": day(-10)},
        headers={"If-Match": '"1"'},
    )
    assert person["id"] not in await _due_ids(client, commune_code="03356")


async def test_campaign_checkups_and_bulk_scheduling_respect_capacity_and_never_twice(
    client: httpx.AsyncClient,
) -> None:
    clinic = await make_clinic(
        client, capacity=1, days=6, specialties=["internal-medicine", "ultrasound"]
    )
    campaign = await _campaign(client, clinic, starts_on=day(1), ends_on=day(2))
    commune = "03349"
    people = [await person_with_card(client, commune_code=commune) for _ in range(5)]
    no_card = await create_beneficiary(client, commune_code=commune)
    url = f"/api/v1/campaigns/{campaign['id']}/bulk-schedule"
    first = await client.post(url, json={"facility_id": clinic["id"], "commune_codes": [commune]})
    assert first.status_code == 200, first.text
    result = first.json()
    # 2 days x 2 parts x capacity 1: four people fit, one does not; the one without a card neither.
    assert len(result["booked"]) == 4
    reasons = {n["beneficiary_id"]: n["reason"] for n in result["not_booked"]}
    assert reasons[no_card["id"]] == "card-not-valid"
    assert sorted(reasons.values()) == ["card-not-valid", "no-place-left"]
    assert {b["date"] for b in result["booked"]} == {day(1), day(2)}
    for when in (day(1), day(2)):
        assert all(s["booked"] == s["capacity"] for s in await sessions_on(client, clinic, when))
    booked_ids = {b["beneficiary_id"] for b in result["booked"]}
    assert booked_ids <= {p["id"] for p in people}
    listed = await client.get(f"/api/v1/campaigns/{campaign['id']}/checkups")
    assert {c["beneficiary_id"] for c in listed.json()["items"]} == booked_ids
    # More places: a re-run books only those not yet booked.
    for when in (day(1), day(2)):
        for found in await sessions_on(client, clinic, when):
            etag = (await client.get(f"/api/v1/sessions/{found['id']}")).headers["etag"]
            await client.patch(
                f"/api/v1/sessions/{found['id']}", json={"capacity": 3}, headers={"If-Match": etag}
            )
    second = (
        await client.post(url, json={"facility_id": clinic["id"], "commune_codes": [commune]})
    ).json()
    assert {b["beneficiary_id"] for b in second["booked"]} == {p["id"] for p in people} - booked_ids
    third = (
        await client.post(url, json={"facility_id": clinic["id"], "commune_codes": [commune]})
    ).json()
    assert third["booked"] == []


async def test_bulk_scheduling_books_the_earliest_day_with_every_specialty(
    client: httpx.AsyncClient,
) -> None:
    clinic = await make_clinic(
        client, capacity=1, days=6, specialties=["internal-medicine", "ultrasound"]
    )
    # Day 1 has no ultrasound place left.
    for part in ("morning", "afternoon"):
        filler = await person_with_card(client)
        await book(client, clinic, filler, day(1), ["ultrasound"], part_of_day=part)
    campaign = await _campaign(client, clinic, starts_on=day(1), ends_on=day(3))
    person = await person_with_card(client, commune_code="03352")
    result = (
        await client.post(
            f"/api/v1/campaigns/{campaign['id']}/bulk-schedule",
            json={"facility_id": clinic["id"], "commune_codes": ["03352"]},
        )
    ).json()
    assert [(b["beneficiary_id"], b["date"]) for b in result["booked"]] == [(person["id"], day(2))]


async def test_campaign_rules(client: httpx.AsyncClient, clinic) -> None:
    assert_problem(
        await client.post(
            "/api/v1/campaigns",
            json={
                "name": "X",
                "starts_on": day(5),
                "ends_on": day(1),
                "facility_ids": [clinic["id"]],
                "target_categories": ["veteran"],
                "specialty_codes": ["ultrasound"],
            },
        ),
        422,
    )
    campaign = await _campaign(client, clinic)
    person = await person_with_card(client)
    outside = await book(client, clinic, person, day(9), campaign_id=campaign["id"])
    assert_problem(outside, 422, "date-outside-campaign")
    inside = await book(client, clinic, person, day(2), campaign_id=campaign["id"])
    assert inside.status_code == 201, inside.text
    assert inside.json()["campaign_id"] == campaign["id"]
    other = await make_clinic(client, specialties=["ultrasound"], days=3)
    bulk = await client.post(
        f"/api/v1/campaigns/{campaign['id']}/bulk-schedule", json={"facility_id": other["id"]}
    )
    assert_problem(bulk, 422, "facility-not-in-campaign")


async def test_a_single_booking_follows_the_campaigns_rules_and_takes_nothing_when_refused(
    client: httpx.AsyncClient, clinic
) -> None:
    campaign = await _campaign(client, clinic)
    other = await make_clinic(client, days=3)
    person = await person_with_card(client)
    refusals = [
        (await book(client, clinic, person, day(2), campaign_id=str(uuid.uuid4())), 422),
        (await book(client, other, person, day(2), campaign_id=campaign["id"]), 422),
        (await book(client, clinic, person, day(9), campaign_id=campaign["id"]), 422),
    ]
    codes = ["unknown-campaign", "facility-not-in-campaign", "date-outside-campaign"]
    for (response, status), code in zip(refusals, codes, strict=True):
        assert_problem(response, status, code)
    for facility, when in ((clinic, day(2)), (other, day(2)), (clinic, day(9))):
        assert all(s["booked"] == 0 for s in await sessions_on(client, facility, when))
    listed = await client.get(f"/api/v1/campaigns/{campaign['id']}/checkups")
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []
    booked = await book(client, clinic, person, day(5), campaign_id=campaign["id"])
    assert booked.status_code == 201, booked.text
