"""What a desk sends when it scans, and what comes back."""

import uuid
from typing import Literal

from pydantic import Field

from veteran_care.kit.schemas import InputSchema, OutputSchema, examples
from veteran_care.models import Sex
from veteran_care.queue.schemas import TicketRead
from veteran_care.scheduling.checkup_schemas import CheckupRead


class CheckInScan(InputSchema):
    """The text a QR scanner typed out, at a desk of one facility."""

    model_config = examples(
        {
            "text": "VC1:Z5ECHDTN7ZALROCNZTRYZ6BWKFJMKAXVC5PYWTSXSI",
            "facility_id": "5b0b6b0e-2f1c-4c55-9d3a-6c1a1f1e7a01",
        }
    )

    text: str = Field(min_length=1, max_length=1000)
    """The appointment slip's code (`VC1:...`) or the CCCD's QR text (seven parts split by `|`)."""
    facility_id: uuid.UUID
    """The facility whose desk scans: a checkup elsewhere is refused (409 `other-facility`)."""


class Person(OutputSchema):
    """Who was scanned: enough for the desk to greet them."""

    id: uuid.UUID
    """The person's id (`GET /beneficiaries/{id}`)."""
    full_name: str
    """As registered."""
    birth_year: int
    """The year of birth."""
    sex: Sex


class CheckInScanResult(OutputSchema):
    """The person and their checkups of today at this facility: check in with
    `POST /checkups/{id}/check-in`, which gives a queue ticket per specialty."""

    via: Literal["slip", "cccd"]
    """What was scanned."""
    person: Person
    checkups: list[CheckupRead]
    """Today's checkups at this facility (usually one)."""
    tickets: list[TicketRead]
    """Queue tickets already given (after check-in)."""
