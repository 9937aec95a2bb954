"""Rows that add up, each rule as the attendance report's description states it: a person of no
category is counted under `no-category`; a checkup rescheduled within the report counts once, as
what became of it on its new day; the first cancellation says who cancelled."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from veteran_care.models import Appointment, AppointmentStatus
from veteran_care.scheduling.lifecycle import refresh_checkups

SPECIALTIES = ["internal-medicine", "ultrasound"]


@pytest.fixture
async def clinic(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_clinic(client, capacity=10, days=4, specialties=SPECIALTIES)


async def _booked(
    client: httpx.AsyncClient, clinic: dict[str, Any], when: int, **person: Any
) -> Any:
    someone = await person_with_card(client, **person)
    response = await book(client, clinic, someone, day(when), SPECIALTIES)
    assert response.status_code == 201, response.text
    return response.json()


async def _attended(session: AsyncSession, checkup: str) -> None:
    """Fulfilled, written past the lifecycle (the day has not come), then derived as it does."""
    checkup_id = uuid.UUID(checkup)
    await session.execute(
        update(Appointment)
        .where(Appointment.checkup_id == checkup_id)
        .values(status=AppointmentStatus.fulfilled)
    )
    await refresh_checkups(session, [checkup_id])
    await session.commit()


async def _attendance(client: httpx.AsyncClient, first: int, last: int, **params: Any) -> Any:
    response = await client.get(
        "/api/v1/reports/attendance",
        params={"date_from": day(first), "date_to": day(last), **params},
    )
    assert response.status_code == 200, response.text
    return response.json()["rows"]


async def test_a_person_of_no_category_is_counted_under_no_category(
    client: httpx.AsyncClient, clinic: dict[str, Any], session: AsyncSession
) -> None:
    veteran = await _booked(client, clinic, 1, categories=[{"code": "veteran"}])
    nobody = await _booked(client, clinic, 1, categories=[])
    for checkup in (veteran, nobody):
        await _attended(session, checkup["id"])
    rows = await _attendance(client, 0, 3, group_by="category")
    assert {r["category"]: (r["booked"], r["attended"]) for r in rows} == {
        "veteran": (1, 1),
        "no-category": (1, 1),
    }
    (total,) = await _attendance(client, 0, 3)
    assert sum(r["booked"] for r in rows) == total["booked"] == 2


async def test_a_checkup_rescheduled_within_the_report_counts_once(
    client: httpx.AsyncClient, clinic: dict[str, Any], session: AsyncSession
) -> None:
    first = await _booked(client, clinic, 1)
    moved = await client.post(
        f"/api/v1/checkups/{first['id']}/reschedule",
        json={"date": day(2), "cancelled_by": "patient", "reason": "Con đưa đi muộn một ngày"},
    )
    assert moved.status_code == 201, moved.text
    await _attended(session, moved.json()["id"])
    (both_days,) = await _attendance(client, 0, 3)
    assert (both_days["booked"], both_days["attended"], both_days["cancelled_by_patient"]) == (
        1,
        1,
        0,
    )
    people = await client.get(
        "/api/v1/reports/attendance/people", params={"date_from": day(0), "date_to": day(3)}
    )
    assert [p["checkup_id"] for p in people.json()["items"]] == [moved.json()["id"]]
    (first_day,) = await _attendance(client, 1, 1)  # the new day is outside: cancelled here
    assert (first_day["booked"], first_day["cancelled_by_patient"]) == (1, 1)


async def test_the_first_cancellation_says_who_cancelled(
    client: httpx.AsyncClient, clinic: dict[str, Any]
) -> None:
    checkup = await _booked(client, clinic, 1)
    by_code = {a["specialty_code"]: a["id"] for a in checkup["appointments"]}
    for code, by in (("ultrasound", "facility"), ("internal-medicine", "patient")):
        cancelled = await client.post(
            f"/api/v1/appointments/{by_code[code]}/cancel",
            json={"cancelled_by": by, "reason": "Máy siêu âm hỏng" if by == "facility" else "Ốm"},
        )
        assert cancelled.status_code == 200, cancelled.text
    (total,) = await _attendance(client, 0, 3)
    assert (total["cancelled_by_facility"], total["cancelled_by_patient"]) == (1, 0)
