"""Column types, helpers and mixins shared by the models."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import DateTime, Integer, Numeric, SmallInteger, TypeDecorator, Uuid
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from veteran_care.kit.clock import utcnow


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


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """Optimistic concurrency: UPDATE ... WHERE version = :seen; the ETag is the version."""

    version: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class VitalsColumns:
    """The measurements of an examination, as a result and a past check store them."""

    systolic_mmhg: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    diastolic_mmhg: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    heart_rate_bpm: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    temperature_c: Mapped[Decimal | None] = mapped_column(Numeric(4, 1), default=None)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1), default=None)
    height_cm: Mapped[Decimal | None] = mapped_column(Numeric(5, 1), default=None)
    bmi: Mapped[Decimal | None] = mapped_column(Numeric(4, 1), default=None)
    glucose_mmol_l: Mapped[Decimal | None] = mapped_column(Numeric(4, 1), default=None)
    visual_acuity_left: Mapped[Decimal | None] = mapped_column(Numeric(3, 2), default=None)
    visual_acuity_right: Mapped[Decimal | None] = mapped_column(Numeric(3, 2), default=None)
