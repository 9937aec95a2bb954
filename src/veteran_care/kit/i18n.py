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

__all__ = [
    "LANGUAGES",
    "N_",
    "InvalidValue",
    "Message",
    "catalog",
    "negotiate",
    "translate",
    "translated",
]
