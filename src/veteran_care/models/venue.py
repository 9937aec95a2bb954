"""Places a drive is held that are not facilities: a commune hall, a school (decision 0052)."""

from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.columns import IdMixin, TimestampMixin, VersionedMixin, enum_column


class VenueKind(StrEnum):
    """What the place is: a commune hall, a school, a village cultural house or another."""

    commune_hall = "commune-hall"
    school = "school"
    cultural_house = "cultural-house"
    other = "other"


class Venue(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A place a visiting team from a facility holds sessions at. The sessions stay the
    facility's (its services, staff scope and stock); the venue only says where."""

    __tablename__ = "venues"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[VenueKind] = mapped_column(enum_column(VenueKind, "venue_kind"))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
