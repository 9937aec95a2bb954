"""Local days as UTC instants, from the first date there is to the last (issue 22)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter

from veteran_care.kit import clock
from veteran_care.kit.clock import UTC_MAX, UTC_MIN
from veteran_care.kit.schemas import Instant

EDGES = [date.min, date(1, 1, 2), date(2026, 4, 1), date(9999, 12, 30), date.max]
INSTANT = TypeAdapter(Instant)


@pytest.mark.parametrize(
    "zone", ["Asia/Ho_Chi_Minh", "UTC", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12"]
)
def test_every_date_has_a_first_and_an_end_instant_in_any_zone(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setattr(clock, "local_zone", lambda: ZoneInfo(zone))
    for day in EDGES:
        start, end = clock.start_of_day(day), clock.end_of_day(day)
        assert start.tzinfo is UTC
        assert end.tzinfo is UTC
        assert UTC_MIN <= start < end <= UTC_MAX, day
    for day in EDGES[:-1]:
        assert clock.end_of_day(day) == clock.start_of_day(day + timedelta(days=1))


def test_days_past_the_ends_of_utc_are_clamped_to_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "local_zone", lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    assert clock.start_of_day(date.min) == UTC_MIN  # 0001-01-01 00:00 at UTC+7 is in year 0
    assert clock.start_of_day(date(2026, 4, 1)) == datetime(2026, 3, 31, 17, tzinfo=UTC)
    assert clock.start_of_day(date.max) == datetime(9999, 12, 30, 17, tzinfo=UTC)
    assert clock.end_of_day(date.max) == UTC_MAX
    monkeypatch.setattr(clock, "local_zone", lambda: ZoneInfo("America/New_York"))
    assert clock.end_of_day(date(9999, 12, 30)) == datetime(9999, 12, 31, 5, tzinfo=UTC)
    assert clock.end_of_day(date.max) == UTC_MAX  # 10000-01-01 05:00 UTC has no datetime


def test_day_arithmetic_stops_at_the_calendar_ends() -> None:
    assert clock.add_days(date(9999, 12, 1), 90) == date.max
    assert clock.add_days(date(1, 1, 2), -5) == date.min
    assert clock.add_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert list(clock.each_day(date(9999, 12, 30), date.max)) == [date(9999, 12, 30), date.max]
    assert list(clock.each_day(date.min, date.min)) == [date.min]
    assert list(clock.each_day(date(2026, 1, 2), date(2026, 1, 1))) == []


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2027-07-27T08:00:00+07:00", datetime(2027, 7, 27, 1, tzinfo=UTC)),
        ("0001-01-01T00:00:00+07:00", UTC_MIN),
        ("9999-12-31T23:59:59-07:00", UTC_MAX),
        ("0001-01-01T00:00:00Z", UTC_MIN),
        ("9999-12-31T23:59:59.999999Z", UTC_MAX),
    ],
)
def test_an_instant_is_read_in_utc_within_what_a_datetime_holds(
    text: str, instant: datetime
) -> None:
    read = INSTANT.validate_python(text)
    assert read == instant
    assert read.tzinfo is UTC
