"""The channels a message leaves by, built from the settings: one interface
(``base.Channel``), an implementation per way out. A channel left unconfigured is absent: its
messages wait (they show in the queue) until it is configured."""

import aiohttp

from veteran_care.config import Settings, SmsProvider
from veteran_care.messaging.channels.base import Channel
from veteran_care.messaging.channels.printed import PrintedList
from veteran_care.messaging.channels.sms import Esms, GenericSms
from veteran_care.messaging.channels.zalo import ZaloZns
from veteran_care.models import MessageChannel


def build(settings: Settings, http: aiohttp.ClientSession) -> dict[MessageChannel, Channel]:
    found: dict[MessageChannel, Channel] = {MessageChannel.printed: PrintedList()}
    if settings.sms_provider == SmsProvider.generic and settings.sms_url:
        found[MessageChannel.sms] = GenericSms(http, settings)
    elif settings.sms_provider == SmsProvider.esms and None not in (
        settings.esms_api_key,
        settings.esms_secret_key,
    ):
        found[MessageChannel.sms] = Esms(http, settings)
    if settings.zalo_access_token is not None:
        found[MessageChannel.zalo] = ZaloZns(http, settings)
    return found
