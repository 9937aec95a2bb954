"""A person answers an SMS: HUY cancels the checkup and frees its places, CO confirms it,
anything else is kept; the webhook is signed, and a reply delivered twice acts once."""

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.messaging.conftest import Outbox, person_with_card
from tests.scheduling.conftest import book, day, sessions_on
from veteran_care.config import Settings
from veteran_care.main import create_app
from veteran_care.messaging.dispatcher import Dispatcher
from veteran_care.models import MessageKind

SECRET = "gateway-shared-secret"


@pytest.fixture
async def gateway_client(
    settings: Settings, engine: Any, sessionmaker: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The SMS gateway calling the webhook (no login: it signs)."""
    app = create_app(settings.model_copy(update={"sms_inbound_secret": SecretStr(SECRET)}))
    app.state.engine = engine
    app.state.sessionmaker = app.state.account_sessionmaker = sessionmaker
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def reply(
    client: httpx.AsyncClient, text: str, sender: str, reply_id: str, secret: str = SECRET
) -> httpx.Response:
    body = json.dumps({"id": reply_id, "from": sender, "text": text}).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return await client.post(
        "/api/v1/messages/replies",
        content=body,
        headers={"Content-Type": "application/json", "X-Signature": f"sha256={signature}"},
    )


async def test_huy_cancels_the_checkup_frees_its_places_and_tells_the_person(
    client: httpx.AsyncClient,
    gateway_client: httpx.AsyncClient,
    clinic: dict[str, Any],
    dispatcher: Dispatcher,
    outbox: Outbox,
) -> None:
    person = await person_with_card(client, phone="0912555001")
    checkup = (await book(client, clinic, person, day(8), ["ultrasound"])).json()
    await dispatcher.round()  # the confirmation goes out to 0912555001
    answered = await reply(gateway_client, "Huỷ", "84912555001", "mo-1")
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"action": "cancelled", "checkup_id": checkup["id"]}
    read = await client.get(f"/api/v1/checkups/{checkup['id']}")
    assert read.json()["status"] == "cancelled"
    assert all(s["booked"] == 0 for s in await sessions_on(client, clinic, day(8)))
    kinds = [m.kind for m in await outbox(person["id"])]
    assert kinds == [MessageKind.confirmation, MessageKind.cancellation]
    again = await reply(gateway_client, "Huỷ", "84912555001", "mo-1")
    assert again.json() == answered.json()  # the same reply delivered twice acts once


async def test_co_confirms_and_other_words_are_kept(
    client: httpx.AsyncClient,
    gateway_client: httpx.AsyncClient,
    clinic: dict[str, Any],
    dispatcher: Dispatcher,
) -> None:
    person = await person_with_card(client, phone="0912555002")
    checkup = (await book(client, clinic, person, day(8))).json()
    await dispatcher.round()
    confirmed = await reply(gateway_client, "co", "+84912555002", "mo-2")
    assert confirmed.json() == {"action": "confirmed", "checkup_id": checkup["id"]}
    other = await reply(gateway_client, "Cho hỏi giờ khám?", "0912555002", "mo-3")
    assert other.json()["action"] == "logged"
    stranger = await reply(gateway_client, "HUY", "0999999999", "mo-4")
    assert stranger.json() == {"action": "unmatched", "checkup_id": None}
    read = await client.get(f"/api/v1/checkups/{checkup['id']}")
    assert read.json()["status"] == "planned"


async def test_an_unsigned_reply_is_refused(gateway_client: httpx.AsyncClient) -> None:
    forged = await reply(gateway_client, "HUY", "0912555003", "mo-5", secret="guess")
    assert forged.status_code == 401
    assert forged.json()["code"] == "bad-signature"


async def test_without_a_secret_replies_are_refused(anon_client: httpx.AsyncClient) -> None:
    response = await reply(anon_client, "HUY", "0912555004", "mo-6")
    assert response.status_code == 404
    assert response.json()["code"] == "replies-not-configured"
