"""SMS through an HTTP gateway: a generic one described by the settings, and eSMS.vn.

Generic: ``POST VETERAN_CARE_SMS_URL`` with a JSON object whose field names are settings
(``to``, ``text``, ``message_id``, ``from`` by default), HTTP basic or Bearer credentials, and
the message id also as an ``Idempotency-Key`` header. Any 2xx is taken as accepted.

eSMS.vn (brandname customer-care SMS, ``SmsType`` 2): ``POST
https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/`` with ``ApiKey``,
``SecretKey``, ``Phone``, ``Content``, ``Brandname``, ``SmsType``, ``IsUnicode`` (0: the text
has no diacritics), ``Sandbox`` and ``RequestId``, which eSMS documents as the key that keeps a
request from being sent twice; our message id goes there. It answers 200 with ``CodeResult``:
100 accepted (``SMSID`` its id), 124 a duplicate of a request already taken (accepted too),
99 a connection error at eSMS (retried), anything else refused (e.g. 101 credentials, 104
brandname, 146 template not registered).
"""

import base64
from typing import Any

import aiohttp

from veteran_care.config import Settings
from veteran_care.messaging.channels.base import (
    Answer,
    Outgoing,
    Reply,
    international,
    post_json,
)
from veteran_care.messaging.texts import sms_size

ESMS_URL = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/"
ESMS_ACCEPTED = frozenset({"100", "124"})
ESMS_RETRY = frozenset({"99"})


def _accepted(reply: Reply) -> Answer:
    return Answer("sent", reply.text[:500], reply.status)


class GenericSms:
    def __init__(self, http: aiohttp.ClientSession, settings: Settings) -> None:
        assert settings.sms_url is not None
        self.http, self.settings, self.url = http, settings, settings.sms_url
        self.headers: dict[str, str] = {}
        if settings.sms_token is not None:
            self.headers["Authorization"] = f"Bearer {settings.sms_token.get_secret_value()}"
        elif settings.sms_username and settings.sms_password is not None:
            pair = f"{settings.sms_username}:{settings.sms_password.get_secret_value()}"
            self.headers["Authorization"] = f"Basic {base64.b64encode(pair.encode()).decode()}"

    async def send(self, message: Outgoing) -> Answer:
        s = self.settings
        body: dict[str, Any] = {
            s.sms_field_to: international(message.recipient),
            s.sms_field_text: message.body,
            s.sms_field_id: str(message.id),
        }
        if s.sms_sender:
            body[s.sms_field_sender] = s.sms_sender
        headers = {**self.headers, "Idempotency-Key": str(message.id)}
        return await post_json(self.http, self.url, body, _accepted, headers=headers)


class Esms:
    def __init__(self, http: aiohttp.ClientSession, settings: Settings) -> None:
        self.http, self.settings = http, settings
        self.url = settings.sms_url or ESMS_URL

    async def send(self, message: Outgoing) -> Answer:
        s = self.settings
        assert s.esms_api_key is not None
        assert s.esms_secret_key is not None
        body = {
            "ApiKey": s.esms_api_key.get_secret_value(),
            "SecretKey": s.esms_secret_key.get_secret_value(),
            "Phone": international(message.recipient),
            "Content": message.body,
            "Brandname": s.sms_sender or "",
            "SmsType": s.esms_sms_type,
            "IsUnicode": "0" if sms_size(message.body).encoding == "gsm-7" else "1",
            "Sandbox": "0",
            "RequestId": str(message.id),
        }
        return await post_json(self.http, self.url, body, _judge_esms)


def _judge_esms(reply: Reply) -> Answer:
    found = reply.json_object()
    code = str(found.get("CodeResult", ""))
    text = reply.text[:500]
    if code in ESMS_ACCEPTED:
        sms_id = found.get("SMSID")
        return Answer("sent", text, reply.status, str(sms_id) if sms_id else None)
    return Answer("retry" if code in ESMS_RETRY else "failed", text, reply.status)
