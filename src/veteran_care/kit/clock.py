"""What day it is where the province is (bookings, no-shows and due dates count in local days)."""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from veteran_care.config import get_settings


@lru_cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def today() -> date:
    return datetime.now(_zone(get_settings().timezone)).date()
