"""Each channel against the gateway stand-in on 127.0.0.1 answering as its provider does: what
it posts, and how it reads the answer (sent, try again, refused)."""

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from tests.messaging.gateway import Gateway
from veteran_care.config import Settings, SmsProvider
from veteran_care.kit.http import client_session
from veteran_care.messaging.channels.base import Outgoing
from veteran_care.messaging.channels.sms import Esms, GenericSms
from veteran_care.messaging.channels.zalo import ZaloZns
from veteran_care.models import MessageChannel, MessageKind

TEXT = "Kính gửi Lò Văn Pọm: lịch khám sức khỏe ngày 14/12/2026"


def message(channel: MessageChannel = MessageChannel.sms, body: str = TEXT) -> Outgoing:
    return Outgoing(
        uuid.uuid4(),
        MessageKind.confirmation,
        channel,
        "0912345678",
        body,
        {"ten": "Lò Văn Pọm", "ngay": "14/12/2026"},
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with client_session(timeout_seconds=10.0, connections=4) as found:
        yield found


@pytest.fixture
def esms_gateway() -> Iterator[Gateway]:
    found = Gateway(id_field="RequestId").start()
    yield found
    found.stop()


@pytest.fixture
def zalo_gateway() -> Iterator[Gateway]:
    found = Gateway(id_field="tracking_id").start()
    yield found
    found.stop()


def generic(settings: Settings, url: str, **more: Any) -> Settings:
    return settings.model_copy(update={"sms_provider": SmsProvider.generic, "sms_url": url, **more})


async def test_generic_sms_posts_the_configured_fields_with_a_bearer_token(
    settings: Settings, gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    ours = generic(
        settings,
        gateway.url,
        sms_token=SecretStr("t0k"),
        sms_field_to="so",
        sms_field_text="noi_dung",
        sms_sender="SYT-DIENBIEN",
    )
    sent = message()
    answer = await GenericSms(http, ours).send(sent)
    assert (answer.outcome, answer.http_status) == ("sent", 200)
    assert "queued" in answer.text
    [received] = gateway.received
    assert received["so"] == "84912345678"
    assert received["noi_dung"] == TEXT  # UTF-8 JSON, read back as sent
    assert received["message_id"] == str(sent.id)
    assert received["from"] == "SYT-DIENBIEN"
    assert received["_headers"]["Authorization"] == "Bearer t0k"
    assert received["_headers"]["Idempotency-Key"] == str(sent.id)


async def test_generic_sms_sends_basic_credentials(
    settings: Settings, gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    ours = generic(settings, gateway.url, sms_username="syt", sms_password=SecretStr("mk"))
    assert (await GenericSms(http, ours).send(message())).outcome == "sent"
    [received] = gateway.received
    assert received["_headers"]["Authorization"] == "Basic c3l0Om1r"  # syt:mk


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(500, "retry"), (503, "retry"), (429, "retry"), (408, "retry"), (400, "failed")],
)
async def test_a_gateway_error_is_tried_again_or_refused_for_good(
    settings: Settings,
    gateway: Gateway,
    http: aiohttp.ClientSession,
    status: int,
    outcome: str,
) -> None:
    gateway.answer = (status, {"error": "số điện thoại không hợp lệ"}, {})
    answer = await GenericSms(http, generic(settings, gateway.url)).send(message())
    assert (answer.outcome, answer.http_status) == (outcome, status)
    assert "số điện thoại không hợp lệ" in answer.text  # the provider's answer, kept


async def test_a_redirect_is_not_followed(
    settings: Settings, gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    gateway.answer = (302, {}, {"Location": "http://127.0.0.1:9/elsewhere"})
    answer = await GenericSms(http, generic(settings, gateway.url)).send(message())
    assert (answer.outcome, answer.http_status) == ("failed", 302)
    assert len(gateway.received) == 1


async def test_a_gateway_that_hangs_is_tried_again(settings: Settings, gateway: Gateway) -> None:
    gateway.mode = "hang"
    async with client_session(timeout_seconds=0.5, connections=4) as http:
        answer = await GenericSms(http, generic(settings, gateway.url)).send(message())
    assert answer.outcome == "retry"
    assert answer.text.startswith("no answer in time")


async def test_a_gateway_not_listening_is_tried_again(
    settings: Settings, http: aiohttp.ClientSession
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    url = f"http://127.0.0.1:{port}/send"
    answer = await GenericSms(http, generic(settings, url)).send(message())
    assert answer.outcome == "retry"
    assert answer.text.startswith("not reached")


def esms(settings: Settings, url: str) -> Settings:
    return settings.model_copy(
        update={
            "sms_provider": SmsProvider.esms,
            "sms_url": url,
            "esms_api_key": SecretStr("key"),
            "esms_secret_key": SecretStr("secret"),
            "sms_sender": "SYT-DIENBIEN",
        }
    )


async def test_esms_takes_the_message_and_its_sms_id(
    settings: Settings, esms_gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    esms_gateway.answer = (200, {"CodeResult": "100", "SMSID": "e-8812"}, {})
    sent = message(body="Kinh gui Lo Van Pom: lich kham ngay 14/12/2026")
    answer = await Esms(http, esms(settings, esms_gateway.url)).send(sent)
    assert (answer.outcome, answer.provider_id) == ("sent", "e-8812")
    [received] = esms_gateway.received
    assert received["RequestId"] == str(sent.id)  # eSMS deduplicates on it
    assert (received["Phone"], received["Brandname"]) == ("84912345678", "SYT-DIENBIEN")
    assert (received["ApiKey"], received["SecretKey"]) == ("key", "secret")
    assert received["IsUnicode"] == "0"  # no diacritics: billed as GSM-7


@pytest.mark.parametrize(
    ("code", "outcome"), [("124", "sent"), ("99", "retry"), ("146", "failed"), ("101", "failed")]
)
async def test_esms_codes_inside_a_200_decide_the_outcome(
    settings: Settings,
    esms_gateway: Gateway,
    http: aiohttp.ClientSession,
    code: str,
    outcome: str,
) -> None:
    esms_gateway.answer = (200, {"CodeResult": code}, {})
    answer = await Esms(http, esms(settings, esms_gateway.url)).send(message())
    assert (answer.outcome, answer.http_status) == (outcome, 200)
    assert code in answer.text
    assert esms_gateway.received[0]["IsUnicode"] == "1"  # diacritics: billed as Unicode


def zalo(settings: Settings, url: str) -> Settings:
    return settings.model_copy(
        update={
            "zalo_url": url,
            "zalo_access_token": SecretStr("oa-token"),
            "zalo_template_ids": {"confirmation": "2345"},
        }
    )


async def test_zalo_sends_the_template_and_its_values(
    settings: Settings, zalo_gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    zalo_gateway.answer = (200, {"error": 0, "data": {"msg_id": "z-77"}}, {})
    sent = message(MessageChannel.zalo)
    answer = await ZaloZns(http, zalo(settings, zalo_gateway.url)).send(sent)
    assert (answer.outcome, answer.provider_id) == ("sent", "z-77")
    [received] = zalo_gateway.received
    assert received["_headers"]["access_token"] == "oa-token"
    assert (received["phone"], received["template_id"]) == ("84912345678", "2345")
    assert received["template_data"] == {"ten": "Lò Văn Pọm", "ngay": "14/12/2026"}
    assert received["tracking_id"] == str(sent.id)


async def test_zalo_refusing_or_no_template_fails_the_message(
    settings: Settings, zalo_gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    zalo_gateway.answer = (200, {"error": -124, "message": "invalid access token"}, {})
    channel = ZaloZns(http, zalo(settings, zalo_gateway.url))
    refused = await channel.send(message(MessageChannel.zalo))
    assert refused.outcome == "failed"
    assert "invalid access token" in refused.text
    unknown = Outgoing(uuid.uuid4(), MessageKind.cancellation, MessageChannel.zalo, "09", "x")
    answer = await channel.send(unknown)
    assert answer.outcome == "failed"
    assert "no Zalo template id" in answer.text
    assert len(zalo_gateway.received) == 1  # nothing posted without a template
