"""Past checks through the API: the rules, the status, who may, the audit trail, the timeline,
and that attendance figures never count them while the due list does."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_beneficiary, create_facility
from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import AuditEvent, Role
from veteran_care.scheduling.due import months_before


def ago(months: int) -> str:
    return months_before(today(), months).isoformat()


def url(person: dict[str, Any]) -> str:
    return f"/api/v1/beneficiaries/{person['id']}/past-checks"


async def record(client: httpx.AsyncClient, person: dict[str, Any], **body: Any) -> Any:
    payload = {"date": ago(8), "place": "Bệnh viện Quân y 6", "health_class": "II", **body}
    return await client.post(url(person), json=payload)


def error_fields(response: httpx.Response) -> list[str]:
    return [e["field"] for e in response.json().get("errors") or []]


async def test_record_read_list_and_withdraw(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client, commune_code="03370")
    facility = await create_facility(client)
    created = await record(
        client,
        person,
        place=None,
        facility_id=facility["id"],
        health_class="III",
        systolic_mmhg=150,
        diastolic_mmhg=90,
        weight_kg=60.0,
        height_cm=160.0,
        diagnoses=[{"code": "I10"}],
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["Location"] == f"{url(person)}/{body['id']}"
    assert body["historical"] is True
    assert (body["health_class"], body["status"], body["source"]) == ("III", "final", "api")
    assert body["bmi"] == "23.4"
    assert body["diagnoses"] == [
        {"code": "I10", "title": "Essential (primary) hypertension", "principal": True}
    ]
    read = await client.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json()["facility_id"] == facility["id"]
    # The same day twice is refused; a withdrawn one makes room for the right one.
    twice = await record(client, person, date=body["date"])
    assert_problem(twice, 409, "duplicate")
    assert twice.json()["existing_id"] == body["id"]
    withdrawn = await client.post(
        f"{url(person)}/{body['id']}/entered-in-error", json={"reason": "Nhầm người"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["error_reason"]) == (
        "entered-in-error",
        "Nhầm người",
    )
    again = await client.post(f"{url(person)}/{body['id']}/entered-in-error", json={"reason": "x"})
    assert_problem(again, 409, "past-check-entered-in-error")
    corrected = await record(client, person, date=body["date"], health_class="II")
    assert corrected.status_code == 201, corrected.text
    listed = (await client.get(url(person))).json()
    assert sorted((c["health_class"], c["status"]) for c in listed) == [
        ("II", "final"),
        ("III", "entered-in-error"),
    ]


async def test_validation(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client, birth_year=1950, commune_code="03370")
    tomorrow = (today() + timedelta(days=1)).isoformat()
    future = await record(client, person, date=tomorrow)
    assert_problem(future, 422, "validation-error")
    assert error_fields(future) == ["body.date"]
    assert "future" in future.json()["errors"][0]["message"]
    before_birth = await record(client, person, date="1949-12-31")
    assert_problem(before_birth, 422, "validation-error")
    assert error_fields(before_birth) == ["body.date"]
    unknown = await record(client, person, place=None, facility_id=str(uuid.uuid4()))
    assert_problem(unknown, 422, "unknown-facility")
    assert unknown.json()["field"] == "facility_id"
    for wrong in ("VI", "0", "6", 3):
        bad_class = await record(client, person, health_class=wrong)
        assert_problem(bad_class, 422, "validation-error")
        assert error_fields(bad_class) == ["body.health_class"]
    nowhere = await record(client, person, place=None)
    assert_problem(nowhere, 422, "validation-error")
    assert error_fields(nowhere) == ["body.place"]
    icd = await record(client, person, diagnoses=[{"code": "Z99.99"}])
    assert_problem(icd, 422, "unknown-icd10-code")
    vitals = await record(client, person, systolic_mmhg=900)
    assert error_fields(vitals) == ["body.systolic_mmhg"]
    assert (await client.get(url(person))).json() == []
    missing = await client.post(
        f"/api/v1/beneficiaries/{uuid.uuid4()}/past-checks",
        json={"date": ago(3), "place": "x", "health_class": "I"},
    )
    assert_problem(missing, 404, "not-found")


async def test_who_may(client: httpx.AsyncClient, client_for: Any) -> None:
    person = await create_beneficiary(client, commune_code="03370")
    scheduler = await client_for(Role.scheduler)
    assert (await record(scheduler, person)).status_code == 201
    clinician = await client_for(Role.clinician)
    assert (await clinician.get(url(person))).status_code == 200
    assert_problem(await record(clinician, person, date=ago(20)), 403)
    reporter = await client_for(Role.reporter)
    assert_problem(await reporter.get(url(person)), 403)


async def test_writes_and_reads_are_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    person = await create_beneficiary(client, commune_code="03370")
    created = (await record(client, person)).json()
    await client.get(url(person))
    await client.post(f"{url(person)}/{created['id']}/entered-in-error", json={"reason": "Nhầm"})
    events = (
        await session.execute(
            select(AuditEvent.action, AuditEvent.resource_id, AuditEvent.changed_fields)
            .where(
                AuditEvent.resource_type == "past_check",
                AuditEvent.beneficiary_id == uuid.UUID(person["id"]),
            )
            .order_by(AuditEvent.id)
        )
    ).all()
    assert [(e.action, e.resource_id) for e in events] == [
        ("create", created["id"]),
        ("read", None),
        ("status_change", created["id"]),
    ]
    assert set(events[0].changed_fields) == {"date", "place", "health_class"}


async def test_the_timeline_shows_them_as_historical(
    client_for: Any, client: httpx.AsyncClient
) -> None:
    person = await create_beneficiary(client, commune_code="03370")
    await record(client, person, date=ago(20), health_class="IV", weight_kg=55.0)
    await record(client, person, date=ago(8), health_class="II")
    clinician = await client_for(Role.clinician)
    timeline = (await clinician.get(f"/api/v1/beneficiaries/{person['id']}/health-timeline")).json()
    assert [(p["date"], p["health_class"], p["historical"]) for p in timeline["past_checks"]] == [
        (ago(8), "II", True),
        (ago(20), "IV", True),
    ]
    assert timeline["classifications"] == [
        {"date": ago(20), "health_class": "IV", "historical": True},
        {"date": ago(8), "health_class": "II", "historical": True},
    ]
    assert timeline["latest_vitals"]["weight_kg"] == {"value": "55.0", "measured_on": ago(20)}


async def test_attendance_never_counts_them_and_the_due_list_does(
    client: httpx.AsyncClient,
) -> None:
    clinic = await make_clinic(client, days=3)
    booked = await person_with_card(client, commune_code="03382")
    other = await person_with_card(client, commune_code="03382")
    assert (await book(client, clinic, booked, day(1))).status_code == 201
    params = {"date_from": ago(24), "date_to": day(3)}
    reports = ("/api/v1/reports/attendance", "/api/v1/reports/attendance/people")

    async def figures() -> list[Any]:
        found = []
        for path in reports:
            response = await client.get(path, params=params)
            assert response.status_code == 200, response.text
            found.append(response.json().get("rows", response.json().get("items")))
        for group_by in ("commune", "month"):
            response = await client.get(reports[0], params={**params, "group_by": group_by})
            found.append(response.json()["rows"])
        return found

    before = await figures()
    assert before[0][0]["booked"] >= 1
    assert before[1]
    due = await client.get("/api/v1/due-list", params={"commune_code": "03382"})
    assert {e["beneficiary_id"] for e in due.json()["items"]} == {other["id"]}
    for person in (booked, other):
        for months in (8, 20):
            assert (await record(client, person, date=ago(months))).status_code == 201
    assert await figures() == before
    due = await client.get("/api/v1/due-list", params={"commune_code": "03382"})
    assert due.json()["items"] == []
