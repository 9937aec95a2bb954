"""The dispatcher against a real gateway stand-in: what it sends, retries, gives up on, and
whom it leaves out."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.messaging.conftest import Outbox, person_with_card, person_without_consent
from tests.messaging.gateway import Gateway
from tests.scheduling.conftest import book, day
from veteran_care.kit.clock import today
from veteran_care.messaging.dispatcher import Dispatcher
from veteran_care.models import MessageAttempt, MessageChannel, MessageKind, MessageStatus


async def attempts_of(
    sessionmaker: async_sessionmaker[AsyncSession], message_id: Any
) -> list[MessageAttempt]:
    async with sessionmaker() as session:
        found = await session.scalars(
            select(MessageAttempt)
            .where(MessageAttempt.message_id == message_id)
            .order_by(MessageAttempt.number)
        )
        return list(found)


async def test_a_confirmation_reaches_the_gateway_without_diacritics(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    gateway: Gateway,
    dispatcher: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    person = await person_with_card(client, phone="0912345678", full_name="Đặng Văn Ân")
    assert (await book(client, clinic, person, day(10), part_of_day="morning")).status_code == 201
    assert await dispatcher.round() == 1
    [message] = await outbox(person["id"])
    assert message.status == MessageStatus.sent
    assert message.channel == MessageChannel.sms
    [received] = gateway.received
    assert received["to"] == "84912345678"
    assert received["message_id"] == str(message.id)
    assert received["text"] == message.body
    assert received["text"].startswith("Kinh gui Dang Van An: lich kham suc khoe")
    assert "buoi sang" in received["text"]
    [attempt] = await attempts_of(sessionmaker, message.id)
    assert (attempt.outcome, attempt.http_status) == ("sent", 200)
    assert "queued" in (attempt.answer or "")


async def test_a_failing_gateway_is_retried_then_the_message_fails(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    gateway: Gateway,
    dispatcher: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    person = await person_with_card(client, phone="0912345679")
    assert (await book(client, clinic, person, day(10))).status_code == 201
    gateway.mode = "fail"
    for _ in range(3):  # three tries allowed in these settings
        await dispatcher.round()
        [message] = await outbox(person["id"])
        if message.status == MessageStatus.pending:
            assert message.next_attempt_at > message.created_at  # waits before the next try
            async with sessionmaker.begin() as session:  # the wait is over
                found = await session.get(type(message), message.id)
                assert found is not None
                found.next_attempt_at = found.created_at
    [message] = await outbox(person["id"])
    assert message.status == MessageStatus.failed
    assert message.attempts == 3
    tries = await attempts_of(sessionmaker, message.id)
    assert [(t.outcome, t.http_status) for t in tries] == [("retry", 500)] * 3
    assert "gateway down" in (tries[0].answer or "")
    assert await dispatcher.round() == 0  # nothing left to take


async def test_a_person_without_a_phone_is_on_the_commune_list(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    gateway: Gateway,
    dispatcher: Dispatcher,
) -> None:
    person = await person_with_card(client, commune_code="03127")
    assert (await book(client, clinic, person, day(10))).status_code == 201
    await dispatcher.round()
    [message] = await outbox(person["id"])
    assert (message.channel, message.recipient) == (MessageChannel.printed, "03127")
    assert message.status == MessageStatus.sent
    assert "Lò Văn Pọm" in (message.body or "")  # printed with its diacritics
    assert gateway.received == []


async def test_both_reminders_fall_due_once_each(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    gateway: Gateway,
    dispatcher: Dispatcher,
) -> None:
    person = await person_with_card(client, phone="0912345680")
    assert (await book(client, clinic, person, day(12))).status_code == 201
    await dispatcher.round()
    seven_before = today() + timedelta(days=5)
    for _ in range(2):  # a second writer on the same day writes nothing more
        await dispatcher.write_reminders(seven_before)
    await dispatcher.round(seven_before)
    two_before = today() + timedelta(days=10)
    await dispatcher.write_reminders(two_before)
    await dispatcher.write_reminders(two_before)
    await dispatcher.round(two_before)
    messages = await outbox(person["id"])
    assert [(m.kind, m.status) for m in messages] == [
        (MessageKind.confirmation, MessageStatus.sent),
        (MessageKind.reminder_early, MessageStatus.sent),
        (MessageKind.reminder_late, MessageStatus.sent),
    ]
    assert "con 7 ngay" in (messages[1].body or "")
    assert "con 2 ngay" in (messages[2].body or "")
    assert len(gateway.received) == 3


async def test_a_reminder_of_a_cancelled_checkup_is_not_sent(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    gateway: Gateway,
    dispatcher: Dispatcher,
) -> None:
    person = await person_with_card(client, phone="0912345681")
    checkup = (await book(client, clinic, person, day(12))).json()
    seven_before = today() + timedelta(days=5)
    await dispatcher.write_reminders(seven_before)
    cancelled = await client.post(
        f"/api/v1/checkups/{checkup['id']}/cancel", json={"cancelled_by": "patient", "reason": "ốm"}
    )
    assert cancelled.status_code == 200, cancelled.text
    await dispatcher.round(seven_before)
    statuses = {m.kind: m.status for m in await outbox(person["id"])}
    assert statuses == {
        MessageKind.confirmation: MessageStatus.sent,
        MessageKind.cancellation: MessageStatus.sent,
        MessageKind.reminder_early: MessageStatus.cancelled,
    }
    assert len(gateway.received) == 2


async def test_nobody_is_messaged_without_consent_and_a_caregiver_receives_too(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    outbox: Outbox,
    gateway: Gateway,
    dispatcher: Dispatcher,
) -> None:
    """Decree 13/2023: without the person's consent, or after they withdraw it, no message
    leaves; with it, a caregiver who may receive messages is told as well."""
    silent = await person_without_consent(client, phone="0912777001")
    withdrawn = await person_with_card(client, phone="0912777002")
    cared_for = await person_with_card(client, phone="0912777003", full_name="Vì Văn Hặc")
    base = "/api/v1/beneficiaries"
    stopped = {"status": "withdrawn", "decided_on": today().isoformat()}
    assert (await client.post(f"{base}/{withdrawn['id']}/consents", json=stopped)).is_success
    caregiver = {
        "full_name": "Vì Thị Ón",
        "relationship": "child",
        "phone": "0912777004",
        "may_receive_messages": True,
    }
    assert (await client.post(f"{base}/{cared_for['id']}/contacts", json=caregiver)).is_success
    for person in (silent, withdrawn, cared_for):
        assert (await book(client, clinic, person, day(10))).status_code == 201

    await dispatcher.round()
    await dispatcher.round()  # the caregiver's copy, made by the first round

    for person in (silent, withdrawn):
        [message] = await outbox(person["id"])
        assert message.status == MessageStatus.cancelled
    told = sorted((m.recipient, m.status) for m in await outbox(cared_for["id"]))
    assert told == [("0912777003", MessageStatus.sent), ("0912777004", MessageStatus.sent)]
    assert sorted(r["to"] for r in gateway.received) == ["84912777003", "84912777004"]
