"""HTTP shapes of facilities."""

import uuid
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.facilities import examples as ex
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
from veteran_care.models import FacilityLevel

FacilityCode = Annotated[
    str,
    Field(pattern=r"^[0-9A-Z]{3,10}$", max_length=10),
    Field(
        description="Facility code (the 5-character BHYT code where it has one).",
        examples=["11001"],
    ),
]
CommuneCode = Annotated[str, Field(pattern=r"^[0-9]{5}$", max_length=5, examples=["03127"])]


class FacilityCreate(InputSchema):
    """A health facility that holds checks or keeps medicines."""

    model_config = examples(ex.FACILITY_CREATE)

    code: FacilityCode
    name: Annotated[Line200, Field(examples=["Bệnh viện Đa khoa tỉnh Điện Biên"])]
    """Official name (Vietnamese)."""
    level: FacilityLevel
    """Kind of facility."""
    commune_code: CommuneCode | None = None
    """The commune it is in (5-digit national code)."""
    address: Line300 | None = None
    """Street address."""


class FacilityUpdate(InputSchema):
    """Partial update of a facility: only the fields present change. Needs If-Match."""

    model_config = examples({"address": "Tổ dân phố 10, phường Him Lam, tỉnh Điện Biên"})

    code: FacilityCode | SkipJsonSchema[None] = None
    """Facility code; unique."""
    name: Line200 | SkipJsonSchema[None] = None
    """Official name."""
    level: FacilityLevel | SkipJsonSchema[None] = None
    """Kind of facility."""
    commune_code: CommuneCode | None = None
    """The commune it is in; null clears it."""
    address: Line300 | None = None
    """Street address; null clears it."""
    active: Bool | SkipJsonSchema[None] = None
    """false: closed, no new sessions or stock."""

    @field_validator("code", "name", "level", "active")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise InvalidValue("cannot be null; leave the field out to keep it")
        return value


class FacilityRead(OutputSchema):
    """A health facility."""

    model_config = examples(ex.FACILITY_READ)

    id: uuid.UUID
    """The facility's id."""
    code: str
    """Facility code (the 5-character BHYT code where it has one)."""
    name: str
    """Official name."""
    level: FacilityLevel
    """Kind of facility."""
    commune_code: str | None
    """The commune it is in."""
    address: str | None
    """Street address."""
    active: bool
    """false: closed."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt
