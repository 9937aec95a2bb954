"""Zalo ZNS (Zalo Notification Service) template messages.

``POST https://business.openapi.zalo.me/message/template`` with the Official Account's token in
an ``access_token`` header and ``{"phone": "84…", "template_id": …, "template_data": {…},
"tracking_id": …}``: the template is registered with Zalo beforehand (one per message kind,
``VETERAN_CARE_ZALO_TEMPLATE_IDS``) and filled by Zalo with our placeholders' values. Zalo
answers 200 with ``error`` 0 and ``data.msg_id`` when it takes the message; another ``error``
is a refusal. ``tracking_id`` carries our message id so that Zalo's delivery reports can be
matched; Zalo does not document deduplicating on it, so a message whose worker died mid-send
may reach a Zalo user twice (SMS through eSMS or a deduplicating gateway does not).
"""

import aiohttp

from veteran_care.config import Settings
from veteran_care.messaging.channels.base import (
    Answer,
    Outgoing,
    Reply,
    international,
    post_json,
)


class ZaloZns:
    def __init__(self, http: aiohttp.ClientSession, settings: Settings) -> None:
        assert settings.zalo_access_token is not None
        self.http, self.settings = http, settings
        self.token = settings.zalo_access_token.get_secret_value()

    async def send(self, message: Outgoing) -> Answer:
        template_id = self.settings.zalo_template_ids.get(message.kind.value)
        if template_id is None:
            return Answer("failed", f"no Zalo template id set for {message.kind.value}")
        body = {
            "phone": international(message.recipient),
            "template_id": template_id,
            "template_data": message.params,
            "tracking_id": str(message.id),
        }
        headers = {"access_token": self.token}
        return await post_json(self.http, self.settings.zalo_url, body, _judge, headers=headers)


def _judge(reply: Reply) -> Answer:
    found = reply.json_object()
    text = reply.text[:500]
    if found.get("error") == 0:
        data = found.get("data") or {}
        msg_id = data.get("msg_id") if isinstance(data, dict) else None
        return Answer("sent", text, reply.status, str(msg_id) if msg_id else None)
    return Answer("failed", text, reply.status)
