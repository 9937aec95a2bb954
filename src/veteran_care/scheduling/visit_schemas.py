"""HTTP shapes of a visiting team's day at a venue (decision 0052)."""

import uuid
from typing import Any

from pydantic import Field, field_validator

from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import UNIQUE_ITEMS, Day, InputSchema, Schema, examples
from veteran_care.models import PartOfDay
from veteran_care.scheduling.schemas import Capacity, SessionRead, SpecialtyCode

VISIT_CREATE: dict[str, Any] = {
    "facility_id": "5f1d7a8e-2b1c-4c1e-9a77-0e4f3c2b1a10",
    "date": "2027-07-27",
    "part_of_day": "morning",
    "specialty_codes": ["internal-medicine", "ophthalmology"],
    "capacity": 60,
}


class VisitCreate(InputSchema):
    """A facility's visiting team at a venue for a half-day: one session per specialty, of the
    facility's services, held at the venue."""

    model_config = examples(VISIT_CREATE)

    facility_id: uuid.UUID
    """The facility the team comes from; its services, staff and stock serve the sessions."""
    date: Day
    """The day of the visit."""
    part_of_day: PartOfDay
    """Morning or afternoon."""
    specialty_codes: list[SpecialtyCode] | None = Field(
        None,
        min_length=1,
        max_length=20,
        json_schema_extra=UNIQUE_ITEMS,
        description="The specialties the team brings; default: every active service of the "
        "facility.",
    )
    capacity: Capacity | None = Field(
        None, description="Places per session; default: each service's capacity."
    )

    @field_validator("specialty_codes")
    @classmethod
    def _unique(cls, codes: list[str] | None) -> list[str] | None:
        if codes is not None and len(set(codes)) != len(codes):
            raise InvalidValue("a specialty may be listed once")
        return codes


class VisitRead(Schema):
    """The sessions a visiting team holds at a venue on a half-day."""

    venue_id: uuid.UUID
    """Where."""
    facility_id: uuid.UUID
    """The team's facility."""
    sessions: list[SessionRead]
    """One per specialty, in specialty order."""
