"""HTTP shapes of facilities."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.schemas import Bool, InputSchema, OutputSchema
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
    code: FacilityCode
    name: Annotated[Line200, Field(examples=["Bệnh viện Đa khoa tỉnh Điện Biên"])]
    level: FacilityLevel
    commune_code: CommuneCode | None = None
    address: Line300 | None = None


class FacilityUpdate(InputSchema):
    code: FacilityCode | SkipJsonSchema[None] = None
    name: Line200 | SkipJsonSchema[None] = None
    level: FacilityLevel | SkipJsonSchema[None] = None
    commune_code: CommuneCode | None = None
    address: Line300 | None = None
    active: Bool | SkipJsonSchema[None] = None

    @field_validator("code", "name", "level", "active")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


class FacilityRead(OutputSchema):
    id: uuid.UUID
    code: str
    name: str
    level: FacilityLevel
    commune_code: str | None
    address: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
