"""Health facilities: hospitals, medical centres, commune health stations."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.kit.clock import utcnow
from veteran_care.models.columns import (
    IdMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    enum_column,
)


class FacilityLevel(StrEnum):
    """Kind of facility: provincial hospital, regional medical centre (former district
    level), commune health station or military hospital."""

    provincial_hospital = "provincial-hospital"
    regional_medical_centre = "regional-medical-centre"
    commune_health_station = "commune-health-station"
    military_hospital = "military-hospital"


class Facility(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "facilities"

    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[FacilityLevel] = mapped_column(enum_column(FacilityLevel, "facility_level"))
    commune_code: Mapped[str | None] = mapped_column(
        ForeignKey("communes.code"), index=True, default=None
    )
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FacilityClosedDay(Base):
    """A day a facility holds no sessions of its own accord (a move, an inventory, a local
    festival), beside the public holidays that close every facility."""

    __tablename__ = "facility_closed_days"

    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
