"""The waitlist: a full specialty's line, the place freed and held for the first in it, the
hold that runs out and passes on, and the booking from an offer in one call."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.scheduling.conftest import book, day, make_clinic, person_with_card, sessions_on
from veteran_care.kit.clock import utcnow
from veteran_care.models import Message, MessageKind, WaitlistEntry

CODE = "ultrasound"
WHEN = day(3)


@pytest.fixture
async def full_day(client: httpx.AsyncClient) -> dict[str, Any]:
    """A clinic whose ultrasound has one place a session (morning, afternoon): both booked
    on WHEN."""
    clinic = await make_clinic(client, capacity=1, days=7, specialties=[CODE])
    checkups = []
    for part in ("morning", "afternoon"):
        person = await person_with_card(client)
        booked = await book(client, clinic, person, WHEN, [CODE], part_of_day=part)
        assert booked.status_code == 201, booked.text
        checkups.append(booked.json())
    return {"clinic": clinic, "checkups": checkups}


async def join(
    client: httpx.AsyncClient, clinic: dict[str, Any], person: dict[str, Any], **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/waitlist",
        json={
            "beneficiary_id": person["id"],
            "facility_id": clinic["id"],
            "specialty_code": CODE,
            "date_from": WHEN,
            **extra,
        },
    )


async def entry(client: httpx.AsyncClient, entry_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/waitlist/{entry_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def cancel(client: httpx.AsyncClient, checkup: dict[str, Any]) -> None:
    response = await client.post(
        f"/api/v1/checkups/{checkup['id']}/cancel",
        json={"cancelled_by": "patient", "reason": "Ốm"},
    )
    assert response.status_code == 200, response.text


async def offers_to(
    sessionmaker: async_sessionmaker[AsyncSession], beneficiary_id: str
) -> list[Message]:
    async with sessionmaker() as session:
        found = await session.scalars(
            select(Message).where(
                Message.beneficiary_id == uuid.UUID(beneficiary_id),
                Message.kind == MessageKind.waitlist_offer,
            )
        )
        return list(found)


async def booked_on(client: httpx.AsyncClient, clinic: dict[str, Any]) -> list[int]:
    return [s["booked"] for s in await sessions_on(client, clinic, WHEN)]


async def test_a_freed_place_is_held_for_the_first_in_line_who_books_it_in_one_call(
    client: httpx.AsyncClient,
    full_day: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clinic = full_day["clinic"]
    first, second, stranger = [await person_with_card(client) for _ in range(3)]
    joined = await join(client, clinic, first)
    assert joined.status_code == 201, joined.text
    assert (joined.json()["status"], joined.json()["position"]) == ("waiting", 1)
    later = (await join(client, clinic, second, date_to=WHEN)).json()
    assert later["position"] == 2
    assert (await join(client, clinic, first)).json()["code"] == "already-waiting"

    await cancel(client, full_day["checkups"][0])  # the morning place is freed
    offered = await entry(client, joined.json()["id"])
    assert offered["status"] == "offered"
    assert offered["hold_until"] is not None
    assert await booked_on(client, clinic) == [1, 1]  # held, not free
    [message] = await offers_to(sessionmaker, first["id"])
    assert str(message.waitlist_entry_id) == offered["id"]
    refused = await book(client, clinic, stranger, WHEN, [CODE])
    assert refused.json()["code"] == "session-full"  # not whoever happens to ask

    key = {"Idempotency-Key": f"accept-{offered['id']}"}
    accepted = await client.post(f"/api/v1/waitlist/{offered['id']}/accept", headers=key)
    assert accepted.status_code == 201, accepted.text
    replayed = await client.post(f"/api/v1/waitlist/{offered['id']}/accept", headers=key)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.json()["id"] == accepted.json()["id"]
    checkup = accepted.json()
    assert (checkup["beneficiary_id"], checkup["date"]) == (first["id"], WHEN)
    assert checkup["appointments"][0]["specialty_code"] == CODE
    done = await entry(client, offered["id"])
    assert (done["status"], done["checkup_id"]) == ("booked", checkup["id"])
    assert await booked_on(client, clinic) == [1, 1]
    again = await client.post(f"/api/v1/waitlist/{offered['id']}/accept")
    assert (again.status_code, again.json()["code"]) == (409, "no-place-held")
    assert (await entry(client, later["id"]))["position"] == 1


async def test_a_hold_that_runs_out_passes_to_the_next_in_line(
    client: httpx.AsyncClient,
    full_day: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clinic = full_day["clinic"]
    first, second = [await person_with_card(client) for _ in range(2)]
    one = (await join(client, clinic, first)).json()
    two = (await join(client, clinic, second)).json()
    await cancel(client, full_day["checkups"][1])
    assert (await entry(client, one["id"]))["status"] == "offered"
    async with sessionmaker.begin() as session:  # the hold's time has passed
        await session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == uuid.UUID(one["id"]))
            .values(hold_until=utcnow() - timedelta(minutes=1))
        )
    listed = await client.get("/api/v1/waitlist", params={"facility_id": clinic["id"]})
    assert [(e["id"], e["status"]) for e in listed.json()["items"]] == [
        (one["id"], "lapsed"),
        (two["id"], "offered"),
    ]
    late = await client.post(f"/api/v1/waitlist/{one['id']}/accept")
    assert (late.status_code, late.json()["code"]) == (409, "no-place-held")
    assert len(await offers_to(sessionmaker, second["id"])) == 1
    assert await booked_on(client, clinic) == [1, 1]
    # The last one in line leaves: the place goes back to the session.
    left = await client.post(f"/api/v1/waitlist/{two['id']}/withdraw")
    assert left.json()["status"] == "withdrawn"
    assert sorted(await booked_on(client, clinic)) == [0, 1]
    twice = await client.post(f"/api/v1/waitlist/{two['id']}/withdraw")
    assert (twice.status_code, twice.json()["code"]) == (409, "not-in-line")


async def test_a_raised_capacity_goes_to_those_waiting_first(
    client: httpx.AsyncClient, full_day: dict[str, Any]
) -> None:
    clinic = full_day["clinic"]
    waiting = [await person_with_card(client) for _ in range(3)]
    ids = [(await join(client, clinic, p)).json()["id"] for p in waiting]
    morning = (await sessions_on(client, clinic, WHEN))[0]
    read = await client.get(f"/api/v1/sessions/{morning['id']}")
    raised = await client.patch(
        f"/api/v1/sessions/{morning['id']}",
        json={"capacity": 3},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert raised.status_code == 200, raised.text
    assert raised.json()["booked"] == 3  # one booked, two held
    assert [(await entry(client, i))["status"] for i in ids] == ["offered", "offered", "waiting"]


async def test_nobody_waits_where_places_are_free(
    client: httpx.AsyncClient, full_day: dict[str, Any]
) -> None:
    person = await person_with_card(client)
    refused = await join(client, full_day["clinic"], person, date_to=day(5))
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "places-available"
    assert WHEN not in body["available_dates"]
    assert day(4) in body["available_dates"]
