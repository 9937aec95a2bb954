"""A facility with three specialties and sessions for the coming weeks; people with cards."""

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import create_beneficiary, create_facility
from veteran_care.kit.clock import today

SPECIALTIES = ["internal-medicine", "ultrasound", "ophthalmology"]
EVERY_DAY = [
    {"weekday": d, "part_of_day": p} for d in range(1, 8) for p in ("morning", "afternoon")
]


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


async def make_clinic(
    client: httpx.AsyncClient,
    capacity: int = 2,
    days: int = 14,
    specialties: list[str] = SPECIALTIES,
) -> dict[str, Any]:
    facility = await create_facility(client, level="regional-medical-centre")
    for code in specialties:
        response = await client.post(
            f"/api/v1/facilities/{facility['id']}/services",
            json={"specialty_code": code, "timetable": EVERY_DAY, "default_capacity": capacity},
        )
        assert response.status_code == 201, response.text
    generated = await client.post(
        "/api/v1/sessions/generate",
        json={
            "facility_id": facility["id"],
            "date_from": day(0),
            "date_to": day(days),
            # every day open, whatever the date the tests run on (holidays: test_calendar.py)
            "skip_public_holidays": False,
        },
    )
    assert generated.status_code == 200, generated.text
    return facility


@pytest.fixture
async def clinic(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_clinic(client)


async def person_with_card(
    client: httpx.AsyncClient, *, card_until: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """A new person with a card valid from last year to the end of next (or ``card_until``)."""
    person = await create_beneficiary(client, **overrides)
    year = today().year
    card = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards",
        json={
            "number": person["bhxh_number"],
            "valid_from": date(year - 1, 1, 1).isoformat(),
            "valid_to": card_until or date(year + 1, 12, 31).isoformat(),
            "registration_facility_code": "11001",
        },
    )
    assert card.status_code == 201, card.text
    return person


async def book(
    client: httpx.AsyncClient,
    facility: dict[str, Any],
    person: dict[str, Any],
    when: str,
    specialties: list[str] = SPECIALTIES,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        "/api/v1/checkups",
        json={
            "beneficiary_id": person["id"],
            "facility_id": facility["id"],
            "date": when,
            "specialty_codes": specialties,
            **extra,
        },
    )


async def sessions_on(
    client: httpx.AsyncClient, facility: dict[str, Any], when: str
) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/sessions",
        params={"facility_id": facility["id"], "date_from": when, "date_to": when, "limit": 200},
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
