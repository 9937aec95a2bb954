"""HTTP shapes of venues."""

import uuid
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.facilities.schemas import CommuneCode
from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    Bool,
    CreatedAt,
    InputSchema,
    OutputSchema,
    UpdatedAt,
    Version,
    examples,
)
from veteran_care.kit.text import Line200, Line300
from veteran_care.models import VenueKind

VENUE_CREATE: dict[str, Any] = {
    "name": "Nhà văn hoá xã Thanh Nưa",
    "kind": "commune-hall",
    "commune_code": "03127",
    "address": "Bản Mển, xã Thanh Nưa, tỉnh Điện Biên",
}


class VenueCreate(InputSchema):
    """A place that is not a facility where a visiting team holds a drive's sessions."""

    model_config = examples(VENUE_CREATE)

    name: Annotated[Line200, Field(examples=["Nhà văn hoá xã Thanh Nưa"])]
    """The place's name, as people know it (Vietnamese)."""
    kind: VenueKind
    """commune-hall, school, cultural-house or other."""
    commune_code: CommuneCode
    """The commune it is in (5-digit national code)."""
    address: Line300 | None = None
    """Village, street: how to find it."""


class VenueUpdate(InputSchema):
    """Partial update of a venue: only the fields present change. Needs If-Match."""

    model_config = examples({"address": "Bản Mển, xã Thanh Nưa (cạnh trường tiểu học)"})

    name: Line200 | SkipJsonSchema[None] = None
    """The place's name."""
    kind: VenueKind | SkipJsonSchema[None] = None
    """What the place is."""
    commune_code: CommuneCode | SkipJsonSchema[None] = None
    """The commune it is in."""
    address: Line300 | None = None
    """How to find it; null clears it."""
    active: Bool | SkipJsonSchema[None] = None
    """false: no new sessions there."""

    @field_validator("name", "kind", "commune_code", "active")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise InvalidValue("cannot be null; leave the field out to keep it")
        return value


class VenueRead(OutputSchema):
    """A place a visiting team holds sessions at."""

    model_config = examples(
        {
            "id": "0b5a3c1e-7f3d-4c55-9a51-2f0c6d1b8e42",
            **VENUE_CREATE,
            "active": True,
            "version": 1,
            "created_at": "2027-07-01T02:00:00Z",
            "updated_at": "2027-07-01T02:00:00Z",
        }
    )

    id: uuid.UUID
    """The venue's id."""
    name: str
    """The place's name."""
    kind: VenueKind
    """What the place is."""
    commune_code: str
    """The commune it is in."""
    address: str | None
    """How to find it."""
    active: bool
    """false: no new sessions there."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt
