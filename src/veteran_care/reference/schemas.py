"""Reference data as the API shows it."""

from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.schemas import InputSchema, Int, OutputSchema


class CommuneRead(OutputSchema):
    code: str
    name: str
    division_type: str
    province_code: str
    province_name: str


class EthnicGroupRead(OutputSchema):
    code: str
    name: str


class CategoryRead(OutputSchema):
    code: str
    name_vi: str
    name_en: str
    carries_disability_rate: bool
    check_interval_months: int
    overdue_grace_days: int


class CategoryUpdate(InputSchema):
    check_interval_months: Annotated[Int, Field(ge=1, le=120)] | SkipJsonSchema[None] = Field(
        None, description="A person is due when no check was fulfilled within this interval."
    )
    overdue_grace_days: Annotated[Int, Field(ge=0, le=3650)] | SkipJsonSchema[None] = Field(
        None, description="Overdue this many days after becoming due."
    )

    @field_validator("check_interval_months", "overdue_grace_days")
    @classmethod
    def _not_null(cls, value: int | None) -> int | None:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


class CommuneList(BaseModel):
    items: list[CommuneRead]


class EthnicGroupList(BaseModel):
    items: list[EthnicGroupRead]


class CategoryList(BaseModel):
    items: list[CategoryRead]
