"""The due list reads each person's last check as the database keeps it (decision 0036): every
write that changes it moves the person on or off the list at once."""

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.scheduling.conftest import book, day, person_with_card
from veteran_care.kit.clock import today
from veteran_care.models import Appointment, AppointmentStatus

COMMUNE = "03370"


async def _due(client: httpx.AsyncClient) -> dict[str, str | None]:
    response = await client.get("/api/v1/due-list", params={"commune_code": COMMUNE})
    assert response.status_code == 200, response.text
    return {e["beneficiary_id"]: e["last_checked_on"] for e in response.json()["items"]}


async def test_a_past_check_recorded_then_withdrawn(client: httpx.AsyncClient) -> None:
    person = await person_with_card(client, commune_code=COMMUNE)
    url = f"/api/v1/beneficiaries/{person['id']}/past-checks"
    old = (today() - timedelta(days=500)).isoformat()
    recent = (today() - timedelta(days=40)).isoformat()
    for day_of in (old, recent):
        response = await client.post(
            url, json={"date": day_of, "place": "Trạm y tế xã", "health_class": "II"}
        )
        assert response.status_code == 201, response.text
    assert person["id"] not in await _due(client)  # checked 40 days ago
    withdrawn = await client.post(
        f"{url}/{response.json()['id']}/entered-in-error", json={"reason": "Nhầm người"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (await _due(client))[person["id"]] == old  # the older check is the last one again


async def test_a_fulfilled_appointment_then_entered_in_error(
    client: httpx.AsyncClient, clinic, session: AsyncSession
) -> None:
    person = await person_with_card(client, commune_code=COMMUNE)
    checkup = (await book(client, clinic, person, day(1))).json()
    where = Appointment.checkup_id == uuid.UUID(checkup["id"])
    checked_on = today() - timedelta(days=30)
    # Written past the lifecycle (the day has not come), as the other due-list tests do.
    await session.execute(
        update(Appointment).where(where).values(status=AppointmentStatus.fulfilled, date=checked_on)
    )
    await session.commit()
    assert person["id"] not in await _due(client)
    await session.execute(
        update(Appointment).where(where).values(status=AppointmentStatus.entered_in_error)
    )
    await session.commit()
    assert (await _due(client))[person["id"]] is None  # never checked after all
