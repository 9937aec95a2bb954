"""The queue as the API shows it: tickets, and each line's state (no names: the display shows
these too)."""

import uuid
from datetime import date

from pydantic import Field

from veteran_care.kit.schemas import OutputSchema
from veteran_care.models import PartOfDay, TicketStatus


class TicketRead(OutputSchema):
    """A ticket: one person's place in one specialty's line."""

    id: uuid.UUID
    """The ticket's id (`POST /queue-tickets/{id}/served` or `/absent`)."""
    session_id: uuid.UUID
    """The session whose line it is in."""
    appointment_id: uuid.UUID
    """The checked-in appointment it was given for."""
    specialty_code: str
    """The specialty of the line."""
    date: date
    """The day."""
    number: int
    """The number called out and shown on the display (per session, from 1)."""
    status: TicketStatus
    requeued: bool
    """Called once without the person coming: back in line (a second miss makes it absent)."""


class Line(OutputSchema):
    """One specialty's line in one session."""

    session_id: uuid.UUID
    """The session (`POST /sessions/{id}/queue/call-next` calls its next number)."""
    specialty_code: str
    """The specialty's code."""
    specialty: str
    """The specialty's name, in the language asked for."""
    part_of_day: PartOfDay
    current: int | None = Field(description="The number called now; null when none is.")
    next: list[int] = Field(description="The next numbers in line (up to 3).")
    waiting: int
    """How many are waiting."""
    average_wait_seconds: int | None = Field(
        description="Mean time from ticket to first call of those called so far; null before "
        "the first call."
    )


class Board(OutputSchema):
    """Every line of a facility's day."""

    facility_code: str
    """The facility's code."""
    date: date
    """The day."""
    lines: list[Line]
    """One per session with tickets, by specialty and part of day."""
