"""Schema bases: input refuses unknown fields; output reads from ORM attributes. A field's
docstring (the string under it) is its description in the OpenAPI document, and a class's
docstring the schema's."""

import re
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.clock import as_utc
from veteran_care.kit.i18n import InvalidValue

# JSON bodies take booleans and integers as they are: `0` is not `false`, `"12"` is not `12`
# (the OpenAPI types say so, and generated clients send the real types).
Bool = Annotated[bool, Strict()]
Int = Annotated[int, Strict()]
# Lists whose items must not repeat say so in the schema (`uniqueItems`), not only in a validator.
UNIQUE_ITEMS: dict[str, Any] = {"uniqueItems": True}


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def _has_integral(value: Any) -> bool:
    """Whether ``_integral`` changes the value: an integral float, in lists at any depth."""
    if isinstance(value, float):
        return value.is_integer() and abs(value) < 2**63
    if isinstance(value, list):
        return any(_has_integral(item) for item in value)
    return False


class Schema(BaseModel):
    """The base of every API shape: attribute docstrings become field descriptions."""

    model_config = ConfigDict(use_attribute_docstrings=True)


def examples(*values: dict[str, Any], **schema: Any) -> ConfigDict:
    """A schema's examples in the OpenAPI document (``model_config = examples({...})``); tests
    check that each is valid against the schema and accepted by the model. ``schema``: more
    JSON Schema keywords of the shape (a rule such as ``if``/``else``)."""
    return ConfigDict(json_schema_extra={**schema, "examples": list(values)})


def _null_hidden(annotation: Any) -> bool:
    """``X | SkipJsonSchema[None]``: None is the default, but the schema does not offer null."""
    for arg in get_args(annotation):
        if get_origin(arg) is Annotated:
            base, *metadata = get_args(arg)
            if base is type(None) and any(type(m) is SkipJsonSchema for m in metadata):
                return True
    return False


@cache
def _not_nullable(model: type[BaseModel]) -> frozenset[str]:
    fields = model.model_fields.items()
    return frozenset(name for name, field in fields if _null_hidden(field.annotation))


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _json_numbers(cls, data: Any) -> Any:
        """JSON has one number type: 42.0 is the integer 42 (JSON Schema says so too)."""
        if not isinstance(data, dict):
            return data
        for value in data.values():  # most bodies have no such number: no copy of them
            if isinstance(value, (float, list)) and _has_integral(value):
                return {key: _integral(value) for key, value in data.items()}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _no_hidden_null(cls, value: Any, info: ValidationInfo) -> Any:
        """A field the schema offers no null for may be left out, but not sent as null."""
        if value is None and info.field_name in _not_nullable(cls):
            raise InvalidValue("leave it out rather than send null")
        return value


class OutputSchema(Schema):
    model_config = ConfigDict(from_attributes=True)


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value: Any) -> Any:
    # Pydantic would read 0 or "0" as 1970-01-01 (a Unix time): a date is "YYYY-MM-DD".
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise InvalidValue("a date is written YYYY-MM-DD")
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value[:10]):
        raise InvalidValue("a timestamp is ISO 8601 with a time zone, e.g. 2027-07-27T08:00:00Z")
    return value


Day = Annotated[date, BeforeValidator(_iso_date)]
# The bookkeeping fields of every record that can change.
Version = Annotated[
    int,
    Field(
        description="The record's version, raised by every change. Its ETag is this number in "
        'quotes (`"3"`): send it back as `If-Match` to update the record.'
    ),
]
CreatedAt = Annotated[datetime, Field(description="When the record was created (UTC).")]
UpdatedAt = Annotated[datetime, Field(description="When the record last changed (UTC).")]
# An instant is read in UTC, held within what a datetime can be (0001-01-01T00:00:00+07:00 is
# before the first UTC instant): it is compared with UTC timestamps, and never overflows there.
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_datetime), AfterValidator(as_utc)]
