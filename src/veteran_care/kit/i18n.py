"""Message catalogs for the domains: the ground floor's :mod:`veteran_care.i18n`, as the kit
hands it out (``errors`` sits below the kit and reads the same module directly)."""

from veteran_care.i18n import (
    LANGUAGES,
    N_,
    InvalidValue,
    Message,
    catalog,
    negotiate,
    translate,
    translated,
)
from veteran_care.i18n.problems import field_message, request_language

__all__ = [
    "LANGUAGES",
    "N_",
    "InvalidValue",
    "Message",
    "catalog",
    "field_message",
    "negotiate",
    "request_language",
    "translate",
    "translated",
]
