"""A change that causes a message writes it in its own transaction: committed together, or
rolled back together."""

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.messaging.conftest import Outbox, person_with_card
from tests.scheduling.conftest import SPECIALTIES, book, day, make_clinic, sessions_on
from veteran_care.auth.principal import system_actor
from veteran_care.models import CancelledBy, MessageKind, MessageStatus
from veteran_care.scheduling import booking


async def test_a_booking_writes_its_confirmation(
    client: httpx.AsyncClient, clinic: dict[str, Any], outbox: Outbox
) -> None:
    person = await person_with_card(client, phone="0912345678")
    booked = await book(client, clinic, person, day(10))
    assert booked.status_code == 201, booked.text
    messages = await outbox(person["id"])
    assert [(m.kind, m.status) for m in messages] == [
        (MessageKind.confirmation, MessageStatus.pending)
    ]
    assert str(messages[0].checkup_id) == booked.json()["id"]


async def test_a_refused_booking_has_no_message(client: httpx.AsyncClient, outbox: Outbox) -> None:
    clinic = await make_clinic(client, capacity=1)
    for part in ("morning", "afternoon"):
        someone = await person_with_card(client)
        taken = await book(client, clinic, someone, day(3), ["ultrasound"], part_of_day=part)
        assert taken.status_code == 201, taken.text
    person = await person_with_card(client)
    refused = await book(client, clinic, person, day(3), SPECIALTIES)
    assert refused.status_code == 409, refused.text
    assert await outbox(person["id"]) == []


async def test_a_rolled_back_cancellation_never_has_its_message(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    person = await person_with_card(client)
    checkup_id = uuid.UUID((await book(client, clinic, person, day(5))).json()["id"])
    actor = system_actor("test")
    async with sessionmaker() as session:
        await booking.cancel_checkup(session, actor, checkup_id, CancelledBy.patient, "ốm")
        await session.rollback()
    assert [m.kind for m in await outbox(person["id"])] == [MessageKind.confirmation]
    async with sessionmaker() as session:
        await booking.cancel_checkup(session, actor, checkup_id, CancelledBy.patient, "ốm")
        await session.commit()
    kinds = [m.kind for m in await outbox(person["id"])]
    assert kinds == [MessageKind.confirmation, MessageKind.cancellation]


async def test_a_cancelled_session_and_a_reschedule_tell_the_person(
    client: httpx.AsyncClient, clinic: dict[str, Any], outbox: Outbox
) -> None:
    moved, stranded = await person_with_card(client), await person_with_card(client)
    first = await book(client, clinic, moved, day(4), ["ultrasound"], part_of_day="morning")
    second = await book(client, clinic, stranded, day(4), ["ultrasound"], part_of_day="morning")
    assert first.status_code == second.status_code == 201
    rescheduled = await client.post(
        f"/api/v1/checkups/{first.json()['id']}/reschedule",
        json={"date": day(6), "reason": "bận việc nhà"},
    )
    assert rescheduled.status_code in (200, 201), rescheduled.text
    morning = next(
        s
        for s in await sessions_on(client, clinic, day(4))
        if s["specialty_code"] == "ultrasound" and s["part_of_day"] == "morning"
    )
    cancelled = await client.post(
        f"/api/v1/sessions/{morning['id']}/cancel", json={"reason": "bác sĩ đi tập huấn"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert [m.kind for m in await outbox(moved["id"])] == [
        MessageKind.confirmation,
        MessageKind.rescheduled,
    ]
    assert [m.kind for m in await outbox(stranded["id"])] == [
        MessageKind.confirmation,
        MessageKind.session_cancelled,
    ]
