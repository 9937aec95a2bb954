"""A checkup as an iCalendar file (RFC 5545, written by the ``icalendar`` library): one event,
at the part of day booked (morning 07:00-11:30, afternoon 13:30-17:00, local time) or the whole
day, cancelled when the checkup is. Its UID stays the same across changes, so a calendar that
imported it updates the event instead of adding another."""

from datetime import datetime, time, timedelta

from veteran_care.kit.clock import local_zone
from veteran_care.models import Checkup, CheckupStatus, PartOfDay

HOURS = {
    PartOfDay.morning: (time(7, 0), time(11, 30)),
    PartOfDay.afternoon: (time(13, 30), time(17, 0)),
}
PRODID = "-//Veteran Care//Lich kham suc khoe//VI"


def checkup_ics(checkup: Checkup, facility_name: str, address: str | None) -> bytes:
    # Imported when a file is asked for: the library takes a tenth of a second to import, on
    # every worker's start otherwise.
    from icalendar import Calendar, Event

    event = Event()
    event.add("uid", f"{checkup.id}@veteran-care")
    event.add("dtstamp", checkup.updated_at)
    event.add("summary", "Khám sức khỏe định kỳ")
    event.add("location", ", ".join(p for p in (facility_name, address) if p))
    event.add(
        "description",
        f"Khám sức khỏe định kỳ tại {facility_name}. Xin mang theo thẻ BHYT và CCCD.",
    )
    if checkup.part_of_day in HOURS:
        start, end = HOURS[checkup.part_of_day]
        zone = local_zone()
        event.add("dtstart", datetime.combine(checkup.date, start, zone))
        event.add("dtend", datetime.combine(checkup.date, end, zone))
    else:
        event.add("dtstart", checkup.date)
        event.add("dtend", checkup.date + timedelta(days=1))
    cancelled = checkup.status in (CheckupStatus.cancelled, CheckupStatus.entered_in_error)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", checkup.version)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    calendar.add_component(event)
    written: bytes = calendar.to_ical()
    return written
