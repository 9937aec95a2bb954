"""HTTP shapes of facilities."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from veteran_care.kit.schemas import InputSchema, OutputSchema
from veteran_care.kit.text import CleanLine, Line200, Line300
from veteran_care.models import FacilityLevel

FacilityCode = Annotated[
    str,
    CleanLine,
    Field(pattern=r"^[0-9A-Z]{3,10}$", max_length=10),
    Field(
        description="Facility code (the 5-character BHYT code where it has one).",
        examples=["11001"],
    ),
]
CommuneCode = Annotated[
    str, CleanLine, Field(pattern=r"^[0-9]{5}$", max_length=5, examples=["03127"])
]


class _Upper:
    @field_validator("code", mode="before", check_fields=False)
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class FacilityCreate(_Upper, InputSchema):
    code: FacilityCode
    name: Annotated[Line200, Field(examples=["Bệnh viện Đa khoa tỉnh Điện Biên"])]
    level: FacilityLevel
    commune_code: CommuneCode | None = None
    address: Line300 | None = None


class FacilityUpdate(_Upper, InputSchema):
    code: FacilityCode | None = None
    name: Line200 | None = None
    level: FacilityLevel | None = None
    commune_code: CommuneCode | None = None
    address: Line300 | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> "FacilityUpdate":
        for name in ("code", "name", "level", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


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
