"""Reference data as the API shows it."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import InputSchema, Int, OutputSchema, Schema, examples


class CommuneRead(OutputSchema):
    """A commune or ward of the province (two-tier administration since 1 July 2025)."""

    code: str
    """5-digit national code."""
    name: str
    """Name (Vietnamese), e.g. Phường Mường Thanh."""
    division_type: str
    """Kind of unit (xã commune, phường ward, ...), in Vietnamese."""
    province_code: str
    """2-digit province code (Điện Biên = 11)."""
    province_name: str
    """Province name."""


class EthnicGroupRead(OutputSchema):
    """An ethnic group of the national list."""

    code: str
    """2-digit national code (01 Kinh, 03 Thái, ...; 55 foreigner, 99 unknown)."""
    name: str
    """Name (Vietnamese)."""


class CategoryRead(OutputSchema):
    """A beneficiary category and its check interval."""

    code: str
    """Stable English code, e.g. wounded-soldier."""
    name_vi: str
    """Vietnamese name, e.g. Thương binh."""
    name_en: str
    """English name."""
    carries_disability_rate: bool
    """true: a disability rate is required for this category."""
    min_disability_rate: int | None
    """The lowest disability rate the category admits, in percent (wounded soldiers 21, sick
    soldiers 41); null for a category without one."""
    check_interval_months: int
    """A person is due when no check was fulfilled within this interval."""
    overdue_grace_days: int
    """Overdue this many days after becoming due."""


class CategoryUpdate(InputSchema):
    """A category's check interval and grace period. Only the fields present change."""

    model_config = examples({"check_interval_months": 6, "overdue_grace_days": 30})

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
            raise InvalidValue("cannot be null; leave the field out to keep it")
        return value


class CommuneList(Schema):
    """The communes and wards of the province."""

    items: list[CommuneRead]
    """The communes, by code."""


class EthnicGroupList(Schema):
    """The national list of ethnic groups."""

    items: list[EthnicGroupRead]
    """The groups, by code."""


class CategoryList(Schema):
    """The beneficiary categories."""

    items: list[CategoryRead]
    """The categories."""
