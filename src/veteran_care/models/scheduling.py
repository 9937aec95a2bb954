"""Specialties, facility services, sessions with capacity, campaigns, checkups, appointments."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from veteran_care.db.base import Base
from veteran_care.models.columns import (
    IdMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    enum_column,
)


class PartOfDay(StrEnum):
    """Half of a working day a session covers: morning or afternoon."""

    morning = "morning"
    afternoon = "afternoon"


class SessionStatus(StrEnum):
    """open (takes bookings), closed (no new bookings, appointments stay) or cancelled
    (its appointments cancelled by the facility)."""

    open = "open"
    closed = "closed"
    cancelled = "cancelled"


class AppointmentStatus(StrEnum):
    """FHIR Appointment.status (the subset a periodic check uses)."""

    booked = "booked"
    checked_in = "checked-in"
    fulfilled = "fulfilled"
    cancelled = "cancelled"
    noshow = "noshow"
    entered_in_error = "entered-in-error"


# Statuses that hold a place in a session / count as "the person's appointment that day".
SEAT_HOLDING = (
    AppointmentStatus.booked,
    AppointmentStatus.checked_in,
    AppointmentStatus.fulfilled,
    AppointmentStatus.noshow,
)
ACTIVE = (AppointmentStatus.booked, AppointmentStatus.checked_in, AppointmentStatus.fulfilled)


class CancelledBy(StrEnum):
    """Who cancelled an appointment: the patient or the facility."""

    patient = "patient"
    facility = "facility"


class CheckupStatus(StrEnum):
    """FHIR Encounter.status (R4)."""

    planned = "planned"
    arrived = "arrived"
    finished = "finished"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"


class CheckupOutcome(StrEnum):
    """What became of a checkup, from its appointments (entered-in-error ones left out):
    attended if one was checked in or fulfilled; else noshow if one was missed; else pending if
    one is still booked; else cancelled, by whoever cancelled first.
    Stored on the checkup (``Checkup.outcome``) wherever an appointment's status changes, so that
    reports count checkups of a period without grouping all their appointments."""

    attended = "attended"
    noshow = "noshow"
    pending = "pending"
    cancelled_by_patient = "cancelled_by_patient"
    cancelled_by_facility = "cancelled_by_facility"


class Specialty(Base):
    __tablename__ = "specialties"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(SmallInteger)


class FacilityService(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A specialty offered at a facility, with a weekly timetable and a default capacity."""

    __tablename__ = "facility_services"

    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    specialty_code: Mapped[str] = mapped_column(ForeignKey("specialties.code"))
    # [{"weekday": 1..7 (ISO, Monday = 1), "part_of_day": "morning" | "afternoon"}, ...]
    timetable: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    default_capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        UniqueConstraint("facility_id", "specialty_code"),
        CheckConstraint("default_capacity BETWEEN 0 AND 10000", name="default_capacity_range"),
    )


class Session(IdMixin, TimestampMixin, Base):
    """One service on one date and part of day. `booked` never exceeds `capacity`: the CHECK
    and the conditional UPDATE that takes a seat make sure, under any concurrency."""

    __tablename__ = "sessions"

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facility_services.id"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    specialty_code: Mapped[str] = mapped_column(ForeignKey("specialties.code"))
    date: Mapped[date] = mapped_column(Date)
    part_of_day: Mapped[PartOfDay] = mapped_column(enum_column(PartOfDay, "part_of_day"))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.open
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    # Held at a venue (a commune hall, a school) by the facility's visiting team; null: at the
    # facility (decision 0052).
    venue_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("venues.id"), index=True, default=None
    )
    # Bumped by every change, seat changes included (plain column: seat updates are Core
    # statements, not ORM flushes).
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        UniqueConstraint("service_id", "date", "part_of_day"),
        CheckConstraint("capacity BETWEEN 0 AND 10000", name="capacity_range"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        Index("ix_sessions_facility_date", "facility_id", "date", "specialty_code"),
    )


class Campaign(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A named drive (đợt khám), e.g. "Periodic checks, 27 July 2027"."""

    __tablename__ = "campaigns"

    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    target_categories: Mapped[list[str]] = mapped_column(JSON)
    specialties: Mapped[list[str]] = mapped_column(JSON)
    # set: the medicines of its checks come from this sponsor's lots only
    sponsor: Mapped[str | None] = mapped_column(String(200), default=None)
    facilities: Mapped[list["CampaignFacility"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CampaignFacility.facility_id"
    )

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="date_order"),)


class CampaignFacility(Base):
    __tablename__ = "campaign_facilities"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id"), primary_key=True, index=True
    )


class Checkup(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One periodic check of one beneficiary at one facility on one date (FHIR Encounter)."""

    __tablename__ = "checkups"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id"), index=True, default=None
    )
    date: Mapped[date] = mapped_column(Date)
    status: Mapped[CheckupStatus] = mapped_column(
        enum_column(CheckupStatus, "checkup_status"), default=CheckupStatus.planned
    )
    # None only when every appointment is entered in error (the checkup is, too).
    outcome: Mapped[CheckupOutcome | None] = mapped_column(
        enum_column(CheckupOutcome, "checkup_outcome"), default=CheckupOutcome.pending
    )
    part_of_day: Mapped[PartOfDay | None] = mapped_column(
        enum_column(PartOfDay, "checkup_part_of_day"), default=None
    )
    card_override_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    rescheduled_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("checkups.id"), default=None, index=True
    )
    booked_by: Mapped[uuid.UUID | None] = mapped_column(default=None)

    appointments: Mapped[list["Appointment"]] = relationship(
        lazy="raise", order_by="Appointment.specialty_code"
    )

    __table_args__ = (
        Index("ix_checkups_beneficiary_date", "beneficiary_id", "date"),
        Index("ix_checkups_facility_date", "facility_id", "date"),
        # Reports of a period: the checkups of its days with their outcome (PostgreSQL covers
        # the columns the reports join and group on, for an index-only scan).
        Index(
            "ix_checkups_date_outcome",
            "date",
            "outcome",
            postgresql_include=["status", "beneficiary_id", "facility_id"],
        ),
        # Never twice in one campaign (a cancelled campaign checkup does not count).
        Index(
            "uq_checkups_campaign_beneficiary",
            "campaign_id",
            "beneficiary_id",
            unique=True,
            postgresql_where=text("status NOT IN ('cancelled', 'entered-in-error')"),
            sqlite_where=text("status NOT IN ('cancelled', 'entered-in-error')"),
        ),
    )


class Appointment(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One specialty examination of a checkup, in one session (FHIR Appointment)."""

    __tablename__ = "appointments"

    checkup_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checkups.id"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"), index=True)
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    specialty_code: Mapped[str] = mapped_column(ForeignKey("specialties.code"))
    date: Mapped[date] = mapped_column(Date)
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus, "appointment_status"), default=AppointmentStatus.booked
    )
    cancelled_by: Mapped[CancelledBy | None] = mapped_column(
        enum_column(CancelledBy, "cancelled_by"), default=None
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    rescheduled_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id"), default=None
    )
    rescheduled_to_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id"), default=None
    )

    __table_args__ = (
        # One active appointment per person, specialty and day.
        Index(
            "uq_appointments_active_per_day",
            "beneficiary_id",
            "specialty_code",
            "date",
            unique=True,
            postgresql_where=text("status IN ('booked', 'checked-in', 'fulfilled')"),
            sqlite_where=text("status IN ('booked', 'checked-in', 'fulfilled')"),
        ),
        Index("ix_appointments_beneficiary_status_date", "beneficiary_id", "status", "date"),
        Index("ix_appointments_status_date", "status", "date"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_by IS NOT NULL)", name="cancelled_by_iff_cancelled"
        ),
    )


class AppointmentStatusChange(Base):
    """Every status change of an appointment: who, when, from, to, why."""

    __tablename__ = "appointment_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(300), default=None)
