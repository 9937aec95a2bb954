"""Health facilities: hospitals, medical centres, commune health stations."""

from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.columns import IdMixin, TimestampMixin, VersionedMixin, enum_column


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
