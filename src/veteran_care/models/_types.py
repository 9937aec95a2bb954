"""Column helpers shared by the models."""

from enum import Enum
from typing import Any

from sqlalchemy import Enum as SAEnum


def enum_column(enum: type[Enum], name: str) -> SAEnum:
    """A portable enum: VARCHAR + a named CHECK constraint, storing the enum's *values*."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(str(m.value)) for m in enum),
        values_callable=lambda members: [str(m.value) for m in members],
        validate_strings=True,
    )


def values(enum: type[Enum]) -> list[Any]:
    return [m.value for m in enum]
