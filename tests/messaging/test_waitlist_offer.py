"""The message that offers a held place: its words (without diacritics by SMS), the consent it
needs like every message, and an offer no longer held that is not sent."""

import uuid
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.messaging.conftest import Outbox, person_with_card, person_without_consent
from tests.messaging.gateway import Gateway
from tests.scheduling.conftest import book, day, make_clinic
from veteran_care.messaging.dispatcher import Dispatcher
from veteran_care.models import MessageKind, MessageStatus, WaitlistEntry, WaitlistStatus

CODE = "ultrasound"
WHEN = day(4)


async def freed_for(client: httpx.AsyncClient, waiting: dict[str, Any]) -> dict[str, Any]:
    """A full morning and afternoon; ``waiting`` joins the line; the morning's place is freed
    (and held for them). Answers their entry."""
    clinic = await make_clinic(client, capacity=1, days=6, specialties=[CODE])
    checkups = []
    for part in ("morning", "afternoon"):
        booked = await book(
            client, clinic, await person_without_consent(client), WHEN, [CODE], part_of_day=part
        )
        assert booked.status_code == 201, booked.text
        checkups.append(booked.json())
    joined = await client.post(
        "/api/v1/waitlist",
        json={
            "beneficiary_id": waiting["id"],
            "facility_id": clinic["id"],
            "specialty_code": CODE,
            "date_from": WHEN,
        },
    )
    assert joined.status_code == 201, joined.text
    cancelled = await client.post(
        f"/api/v1/checkups/{checkups[0]['id']}/cancel",
        json={"cancelled_by": "patient", "reason": "Ốm"},
    )
    assert cancelled.status_code == 200, cancelled.text
    entry: dict[str, Any] = (await client.get(f"/api/v1/waitlist/{joined.json()['id']}")).json()
    assert entry["status"] == "offered"
    return entry


async def test_the_offer_names_the_day_and_the_hold_without_diacritics(
    client: httpx.AsyncClient, outbox: Outbox, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    person = await person_with_card(client, phone="0912345670", full_name="Đặng Văn Ân")
    await freed_for(client, person)
    await dispatcher.round()
    [offer] = [m for m in await outbox(person["id"]) if m.kind == MessageKind.waitlist_offer]
    assert offer.status == MessageStatus.sent
    assert offer.checkup_id is None
    [received] = gateway.received
    assert received["text"].startswith("Kinh gui Dang Van An: da co cho kham buoi sang")
    assert "/".join(reversed(WHEN.split("-"))) in received["text"]
    assert f"duoc giu cho ong/ba den {offer.params['han_giu']}" in received["text"]  # type: ignore[index]


async def test_nobody_is_offered_a_place_by_message_without_consent(
    client: httpx.AsyncClient, outbox: Outbox, gateway: Gateway, dispatcher: Dispatcher
) -> None:
    person = await person_without_consent(client, phone="0912345671")
    await freed_for(client, person)
    await dispatcher.round()
    [offer] = await outbox(person["id"])
    assert offer.status == MessageStatus.cancelled
    assert gateway.received == []


async def test_an_offer_no_longer_held_is_not_sent(
    client: httpx.AsyncClient,
    outbox: Outbox,
    gateway: Gateway,
    dispatcher: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    person = await person_with_card(client, phone="0912345672")
    entry = await freed_for(client, person)
    async with sessionmaker.begin() as session:  # lapsed before the worker took the message
        await session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == uuid.UUID(entry["id"]))
            .values(status=WaitlistStatus.lapsed)
        )
    await dispatcher.round()
    [offer] = await outbox(person["id"])
    assert (offer.status, offer.status_detail) == (
        MessageStatus.cancelled,
        "the place is no longer held",
    )
    assert gateway.received == []
