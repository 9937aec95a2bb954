"""Events reach a receiver on 127.0.0.1: signed (verified with the Standard Webhooks library
itself), tried again after a 500, in order per person, with ids only unless allowed more."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook, WebhookVerificationError

from tests.scheduling.conftest import book, day, person_with_card
from tests.webhooks.conftest import SUBSCRIPTIONS, drain, subscribe
from tests.webhooks.receiver import Receiver
from veteran_care.kit.clock import utcnow
from veteran_care.models import WebhookDelivery
from veteran_care.webhooks import queue
from veteran_care.webhooks.deliverer import Deliverer

CANCEL = {"cancelled_by": "patient", "reason": "Ốm, hẹn lại sau"}


async def deliveries(client: httpx.AsyncClient, subscription: dict[str, Any]) -> list[Any]:
    response = await client.get(f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries")
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()
    return found


async def test_a_booking_is_posted_signed_with_ids_only(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    subscription = await subscribe(client, receiver.url)
    person = await person_with_card(client, full_name="Đặng Văn Ân")
    booked = await book(client, clinic, person, day(10), specialties=["ultrasound"])
    assert booked.status_code == 201, booked.text
    await drain(deliverer)
    [received] = receiver.received
    verified = Webhook(subscription["secret"]).verify(received.body, received.headers)
    assert verified["type"] == "checkup.booked"
    assert verified["data"] == {
        "beneficiary_id": person["id"],
        "checkup_id": booked.json()["id"],
        "facility_id": clinic["id"],
    }
    assert "Ân" not in received.body.decode()
    assert received.headers["webhook-signature"].startswith("v1,")
    [logged] = await deliveries(client, subscription)
    assert logged["id"] == received.headers["webhook-id"]
    assert logged["status"] == "delivered"
    assert [(t["outcome"], t["http_status"]) for t in logged["tries"]] == [("delivered", 200)]


async def test_another_secret_does_not_verify(
    client: httpx.AsyncClient, receiver: Receiver, deliverer: Deliverer
) -> None:
    await subscribe(client, receiver.url, events=["beneficiary.updated"])
    person = await person_with_card(client)
    await _rename(client, person, "Lê Thị Hoa")
    await drain(deliverer)
    [received] = receiver.received
    other = Webhook("whsec_" + "A" * 43 + "=")
    with pytest.raises(WebhookVerificationError, match="signature"):
        other.verify(received.body, received.headers)


async def _rename(client: httpx.AsyncClient, person: dict[str, Any], name: str) -> None:
    path = f"/api/v1/beneficiaries/{person['id']}"
    etag = (await client.get(path)).headers["ETag"]
    changed = await client.patch(path, json={"full_name": name}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text


async def test_personal_data_only_where_allowed(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    thin = await subscribe(client, receiver.url, events=["checkup.booked"])
    full = await subscribe(
        client, receiver.url + "?full", events=["checkup.booked"], personal_data=True
    )
    person = await person_with_card(client, full_name="Nguyễn Thị Bình")
    assert (await book(client, clinic, person, day(9), specialties=["ultrasound"])).is_success
    await drain(deliverer)
    by_secret = {}
    for received in receiver.received:
        for subscription in (thin, full):
            try:
                payload = Webhook(subscription["secret"]).verify(received.body, received.headers)
            except WebhookVerificationError:
                continue
            by_secret[subscription["id"]] = payload["data"]
    assert set(by_secret[thin["id"]]) == {"beneficiary_id", "checkup_id", "facility_id"}
    detailed = by_secret[full["id"]]
    assert detailed["person"]["full_name"] == "Nguyễn Thị Bình"
    assert detailed["date"] == day(9)
    assert detailed["checkup_id"] == by_secret[thin["id"]]["checkup_id"]


async def test_a_person_updated_is_told_as_changed(
    client: httpx.AsyncClient, receiver: Receiver, deliverer: Deliverer
) -> None:
    await subscribe(client, receiver.url, events=["beneficiary.updated"], personal_data=True)
    person = await person_with_card(client, full_name="Lê Văn Cũ")
    await _rename(client, person, "Lê Văn Mới")
    await drain(deliverer)
    [received] = receiver.received
    data = received.payload["data"]
    assert data["person"]["full_name"] == "Lê Văn Mới"
    assert data["changed_fields"] == ["full_name"]


async def test_a_500_is_tried_again_with_the_same_id(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    subscription = await subscribe(client, receiver.url, events=["checkup.booked"])
    person = await person_with_card(client)
    assert (await book(client, clinic, person, day(8), specialties=["ultrasound"])).is_success
    receiver.answers = [500]
    await drain(deliverer)
    first, second = receiver.received
    assert (first.answered, second.answered) == (500, 200)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    Webhook(subscription["secret"]).verify(second.body, second.headers)
    [logged] = await deliveries(client, subscription)
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 2
    tries = [(t["number"], t["outcome"], t["http_status"]) for t in logged["tries"]]
    assert tries == [(1, "retry", 500), (2, "delivered", 200)]


async def test_a_receiver_that_keeps_failing_fails_the_delivery(
    client: httpx.AsyncClient,
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    subscription = await subscribe(client, receiver.url, events=["beneficiary.updated"])
    person = await person_with_card(client)
    await _rename(client, person, "Lê Văn Một")
    await _rename(client, person, "Lê Văn Hai")
    receiver.answers = [503, 503, 503]  # the first event's three tries
    await drain(deliverer)
    answered = [(r.payload["data"]["beneficiary_id"], r.answered) for r in receiver.received]
    assert [status for _, status in answered] == [503, 503, 503, 200]
    first, second = sorted(await deliveries(client, subscription), key=lambda d: d["seq"])
    assert (first["status"], first["attempts"]) == ("failed", 3)
    assert (second["status"], second["attempts"]) == ("delivered", 1)


async def test_events_about_a_person_arrive_in_order(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The receiver fails at first: the person's later events wait for the first; another
    person's line is not held up."""
    subscription = await subscribe(client, receiver.url)
    one = await person_with_card(client)
    other = await person_with_card(client)
    checkup = await book(client, clinic, one, day(7), specialties=["ultrasound", "ophthalmology"])
    assert checkup.status_code == 201, checkup.text
    cancelled = await client.post(f"/api/v1/checkups/{checkup.json()['id']}/cancel", json=CANCEL)
    assert cancelled.status_code == 200, cancelled.text
    await _rename(client, one, "Phạm Văn Sau")
    assert (await book(client, clinic, other, day(7), specialties=["ultrasound"])).is_success
    receiver.always = 500
    assert await deliverer.round() == 2  # the head of each person's line, nothing more
    heads = {r.payload["data"]["beneficiary_id"] for r in receiver.received}
    assert heads == {one["id"], other["id"]}
    assert {r.payload["type"] for r in receiver.received} == {"checkup.booked"}
    receiver.always = None
    await drain(deliverer)
    async with sessionmaker() as session:
        written = (
            await session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.ordering_key == uuid.UUID(one["id"]))
                .order_by(WebhookDelivery.seq)
            )
        ).all()
    sent = [
        r.headers["webhook-id"]
        for r in receiver.accepted()
        if r.payload["data"]["beneficiary_id"] == one["id"]
    ]
    assert sent == [str(i) for i in written]
    types = [
        r.payload["type"]
        for r in receiver.accepted()
        if r.payload["data"]["beneficiary_id"] == one["id"]
    ]
    assert types == [
        "checkup.booked",
        "appointment.status_changed",
        "appointment.status_changed",
        "checkup.cancelled",
        "beneficiary.updated",
    ]
    assert all(d["status"] == "delivered" for d in await deliveries(client, subscription))


async def test_a_worker_that_died_leaves_the_delivery_to_another_with_the_same_id(
    client: httpx.AsyncClient,
    receiver: Receiver,
    deliverer: Deliverer,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A worker claimed the delivery and died before recording anything: after its lease the
    delivery is posted again, with the same id, which the receiver deduplicates on."""
    subscription = await subscribe(client, receiver.url, events=["beneficiary.updated"])
    await _rename(client, await person_with_card(client), "Đỗ Văn Mười")
    async with sessionmaker.begin() as session:
        [taken] = await queue.claim(session, "dead-worker", utcnow(), timedelta(seconds=60), 10, 3)
    assert await deliverer.round() == 0  # its lease still holds
    async with sessionmaker.begin() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.seq == taken.seq)
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert await deliverer.round() == 1
    [received] = receiver.received
    assert received.headers["webhook-id"] == str(taken.id)
    [logged] = await deliveries(client, subscription)
    assert (logged["status"], logged["attempts"]) == ("delivered", 2)
    assert [t["number"] for t in logged["tries"]] == [2]  # the dead worker's try left no answer


async def test_a_change_refused_writes_no_event(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    subscription = await subscribe(client, receiver.url)
    person = await person_with_card(client)
    refused = await book(client, clinic, person, day(-1), specialties=["ultrasound"])
    assert refused.status_code == 422
    await drain(deliverer)
    assert receiver.received == []
    assert await deliveries(client, subscription) == []


async def test_only_the_events_asked_for_are_sent(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    await subscribe(client, receiver.url, events=["beneficiary.updated"])
    inactive = await subscribe(client, receiver.url, active=False)
    person = await person_with_card(client)
    assert (await book(client, clinic, person, day(6), specialties=["ultrasound"])).is_success
    await _rename(client, person, "Trần Văn Bảy")
    await drain(deliverer)
    assert [r.payload["type"] for r in receiver.received] == ["beneficiary.updated"]
    assert await deliveries(client, inactive) == []


async def test_metrics_count_deliveries(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(client, receiver.url, events=["beneficiary.updated"])
    await _rename(client, await person_with_card(client), "Hồ Văn Tám")
    metrics = await anon_client.get("/metrics")
    assert 'veteran_care_webhook_deliveries{status="waiting"} 1.0' in metrics.text
