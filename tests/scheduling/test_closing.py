"""Closing a booked day or session in one call: everyone moved to the next day with places (the
calendar respected) or cancelled, each told once, the places counted right afterwards."""

import uuid
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.scheduling.conftest import book, day, make_clinic, person_with_card, sessions_on
from veteran_care.models import Message, MessageKind

CODES = ["internal-medicine", "ultrasound"]


async def kinds_for(
    sessionmaker: async_sessionmaker[AsyncSession], person: dict[str, Any]
) -> Counter[MessageKind]:
    async with sessionmaker() as session:
        found = await session.scalars(
            select(Message.kind).where(Message.beneficiary_id == uuid.UUID(person["id"]))
        )
        return Counter(found)


async def booked_people(
    client: httpx.AsyncClient, clinic: dict[str, Any], when: str, count: int, **extra: Any
) -> list[dict[str, Any]]:
    people = []
    for _ in range(count):
        person = await person_with_card(client, **extra)
        booked = await book(client, clinic, person, when, CODES)
        assert booked.status_code == 201, booked.text
        people.append(person)
    return people


async def places(client: httpx.AsyncClient, clinic: dict[str, Any], when: str) -> Counter[str]:
    """Places booked per specialty on a day (its sessions not cancelled)."""
    found: Counter[str] = Counter()
    for s in await sessions_on(client, clinic, when):
        if s["status"] != "cancelled":
            found[s["specialty_code"]] += s["booked"]
    return found


async def close(
    client: httpx.AsyncClient, clinic: dict[str, Any], when: str, **choice: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/facilities/{clinic['id']}/day-closures",
        json={"date": when, "reason": "Mất điện cả ngày", **choice},
    )


async def test_a_booked_day_closed_moves_everyone_with_one_message_each(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    clinic = await make_clinic(client, capacity=2, days=8, specialties=CODES)
    people = await booked_people(client, clinic, day(2), 3)
    already = await booked_people(client, clinic, day(4), 2)
    # Day 3 is closed too (nobody booked on it): the move skips it.
    assert (await close(client, clinic, day(3), bookings="move")).status_code == 200

    closed = await close(client, clinic, day(2), bookings="move")
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["not_moved"] == []
    assert body["cancelled"] == []
    # Day 4 had two of its four places a specialty left: two people go there, one to day 5.
    assert sorted(m["new_date"] for m in body["moved"]) == [day(4), day(4), day(5)]
    assert {m["beneficiary_id"] for m in body["moved"]} == {p["id"] for p in people}
    assert {s["status"] for s in body["sessions"]} == {"cancelled"}
    for person in people:  # the booking's confirmation, and one notice of the move
        assert await kinds_for(sessionmaker, person) == Counter(
            {MessageKind.confirmation: 1, MessageKind.rescheduled: 1}
        )
    for person in already:
        assert await kinds_for(sessionmaker, person) == Counter({MessageKind.confirmation: 1})
    assert await places(client, clinic, day(2)) == Counter()
    assert await places(client, clinic, day(4)) == Counter(dict.fromkeys(CODES, 4))
    assert await places(client, clinic, day(5)) == Counter(dict.fromkeys(CODES, 1))
    old = await client.get(f"/api/v1/checkups/{body['moved'][0]['checkup_id']}")
    assert old.json()["status"] == "cancelled"
    listed = await client.get(
        f"/api/v1/facilities/{clinic['id']}/closed-days",
        params={"date_from": day(2), "date_to": day(3)},
    )
    assert [(d["date"], d["kind"]) for d in listed.json()["items"]] == [
        (day(2), "facility"),
        (day(3), "facility"),
    ]


async def test_a_booked_day_closed_with_cancellations_tells_each_once(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    clinic = await make_clinic(client, capacity=2, days=4, specialties=CODES)
    people = await booked_people(client, clinic, day(2), 2)
    closed = await close(client, clinic, day(2), bookings="cancel")
    assert closed.status_code == 200, closed.text
    assert closed.json()["moved"] == []
    assert {p["beneficiary_id"] for p in closed.json()["cancelled"]} == {p["id"] for p in people}
    for person in people:
        assert await kinds_for(sessionmaker, person) == Counter(
            {MessageKind.confirmation: 1, MessageKind.session_cancelled: 1}
        )
    assert await places(client, clinic, day(2)) == Counter()


async def test_who_cannot_be_moved_is_reported_and_left_when_asked(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    clinic = await make_clinic(client, capacity=2, days=6, specialties=CODES)
    [movable] = await booked_people(client, clinic, day(2), 1)
    [stuck] = await booked_people(client, clinic, day(2), 1, card_until=day(2))
    closed = await close(client, clinic, day(2), bookings="move", unmovable="leave")
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert [m["beneficiary_id"] for m in body["moved"]] == [movable["id"]]
    [left] = body["not_moved"]
    assert (left["beneficiary_id"], left["reason"], left["cancelled"]) == (
        stuck["id"],
        "card-not-valid",
        False,
    )
    # The sessions where someone is still booked are closed, the empty ones cancelled.
    assert Counter(s["status"] for s in body["sessions"]) == {"closed": 2, "cancelled": 2}
    assert await places(client, clinic, day(2)) == Counter(dict.fromkeys(CODES, 1))
    assert await kinds_for(sessionmaker, stuck) == Counter({MessageKind.confirmation: 1})


async def test_a_cancelled_session_can_move_its_people(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    clinic = await make_clinic(client, capacity=2, days=4, specialties=["ultrasound"])
    person = await person_with_card(client)
    booked = await book(client, clinic, person, day(1), ["ultrasound"], part_of_day="morning")
    assert booked.status_code == 201, booked.text
    morning = booked.json()["appointments"][0]["session_id"]
    cancelled = await client.post(
        f"/api/v1/sessions/{morning}/cancel",
        json={"reason": "Bác sĩ đi tập huấn", "bookings": "move"},
    )
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["session"]["status"] == "cancelled"
    assert body["session"]["booked"] == 0
    assert body["people_to_call"] == []
    # The next day with places, after the day of the session.
    assert [m["new_date"] for m in body["moved"]] == [day(2)]
    assert await kinds_for(sessionmaker, person) == Counter(
        {MessageKind.confirmation: 1, MessageKind.rescheduled: 1}
    )
