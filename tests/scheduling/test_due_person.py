"""The due list asked about one person (issue 29): due or not, why, since when, for what."""

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_beneficiary, create_facility
from tests.scheduling.conftest import book, day, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import Appointment, AppointmentStatus, Role


def _a_year_after(day: date) -> date:
    return (
        date(day.year + 1, 3, 1)
        if (day.month, day.day) == (2, 29)
        else day.replace(year=day.year + 1)
    )


async def _checked_on(session: AsyncSession, checkup: dict[str, Any], on: date) -> None:
    await session.execute(
        update(Appointment)
        .where(Appointment.checkup_id == uuid.UUID(checkup["id"]))
        .values(status=AppointmentStatus.fulfilled, date=on)
    )
    await session.commit()


async def _status(client: httpx.AsyncClient, person: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"/api/v1/due-list/{person['id']}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["beneficiary_id"] == person["id"]
    return body


async def _on_the_list(client: httpx.AsyncClient, person: dict[str, Any]) -> bool:
    response = await client.get(
        "/api/v1/due-list", params={"commune_code": person["commune_code"], "limit": 200}
    )
    return person["id"] in {e["beneficiary_id"] for e in response.json()["items"]}


async def test_one_person_is_due_since_the_interval_ran_out(
    client: httpx.AsyncClient, clinic: dict[str, Any], session: AsyncSession
) -> None:
    categories = (await client.get("/api/v1/beneficiary-categories")).json()["items"]
    veteran = next(c for c in categories if c["code"] == "veteran")
    assert veteran["check_interval_months"] == 12
    grace = timedelta(days=veteran["overdue_grace_days"])
    now = today()
    month = now.month - 1 or 12
    last = date(now.year - 1 - (now.month == 1), month, 15)  # 12-13.5 months ago: in the grace
    person = await person_with_card(client, commune_code="03358")
    await _checked_on(session, (await book(client, clinic, person, day(1))).json(), last)

    status = await _status(client, person)
    assert status == {
        "beneficiary_id": person["id"],
        "status": "due",
        "last_checked_on": last.isoformat(),
        "due_since": _a_year_after(last).isoformat(),
        "overdue_since": _a_year_after(last + grace + timedelta(days=1)).isoformat(),
        "category_code": "veteran",
        "check_interval_months": 12,
        "booked_on": None,
    }
    assert await _on_the_list(client, person)


async def test_never_checked_is_overdue_and_a_booking_takes_one_off(
    client: httpx.AsyncClient, clinic: dict[str, Any]
) -> None:
    person = await person_with_card(
        client,
        commune_code="03358",
        categories=[{"code": "veteran"}, {"code": "former-youth-volunteer"}],
    )
    never = await _status(client, person)
    assert never["status"] == "overdue"
    assert never["last_checked_on"] is never["due_since"] is never["overdue_since"] is None
    assert never["category_code"] in ("veteran", "former-youth-volunteer")
    assert await _on_the_list(client, person)

    assert (await book(client, clinic, person, day(3))).status_code == 201
    booked = await _status(client, person)
    assert (booked["status"], booked["booked_on"]) == ("booked-ahead", day(3))
    assert not await _on_the_list(client, person)


async def test_a_recent_check_says_when_the_person_will_be_due(
    client: httpx.AsyncClient, clinic: dict[str, Any], session: AsyncSession
) -> None:
    person = await person_with_card(client, commune_code="03358")
    last = today() - timedelta(days=45)
    await _checked_on(session, (await book(client, clinic, person, day(1))).json(), last)
    status = await _status(client, person)
    assert status["status"] == "checked-within-interval"
    assert status["due_since"] == _a_year_after(last).isoformat()
    assert not await _on_the_list(client, person)


async def test_people_who_cannot_be_due_say_why(client: httpx.AsyncClient) -> None:
    gone = await create_beneficiary(client, commune_code="03358")
    dead = await client.patch(
        f"/api/v1/beneficiaries/{gone['id']}",
        json={"status": "deceased", "date_of_death": day(-10)},
        headers={"If-Match": '"1"'},
    )
    assert dead.status_code == 200, dead.text
    assert (await _status(client, gone))["status"] == "not-active"
    unknown = await client.get(f"/api/v1/due-list/{uuid.uuid4()}")
    assert_problem(unknown, 404, "not-found")


async def test_a_person_out_of_scope_is_not_found(client: httpx.AsyncClient, client_for) -> None:
    elsewhere = await create_facility(client)
    person = await create_beneficiary(client, registered_facility_id=elsewhere["id"])
    local = await create_facility(client)
    scheduler = await client_for(Role.scheduler, province_wide=False, facility_ids=[local["id"]])
    assert_problem(await scheduler.get(f"/api/v1/due-list/{person['id']}"), 404, "not-found")
    theirs = await create_beneficiary(client, registered_facility_id=local["id"])
    assert (await scheduler.get(f"/api/v1/due-list/{theirs['id']}")).status_code == 200
