"""History brought in at go-live: periodic checks done before Veteran Care, outside it."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.clinical import HealthClass
from veteran_care.models.columns import (
    IdMixin,
    TimestampMixin,
    VersionedMixin,
    VitalsColumns,
    enum_column,
)


class PastCheckStatus(StrEnum):
    """final (as recorded) or entered-in-error (withdrawn: a status, never a delete)."""

    final = "final"
    entered_in_error = "entered-in-error"


class PastCheckSource(StrEnum):
    """How the past check came in: typed through the API, or a row of an import file."""

    api = "api"
    import_ = "import"


class PastCheck(IdMixin, TimestampMixin, VersionedMixin, VitalsColumns, Base):
    """A periodic check done before go-live (a paper record): its day, where, the health class
    and what was measured. Historical: never an appointment, never in attendance figures; the
    due list and the coverage report count its day as the person's last check."""

    __tablename__ = "past_checks"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"))
    date: Mapped[date] = mapped_column(Date)
    # Where: one of our facilities, or a place in words (another province's hospital, ...).
    facility_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("facilities.id"), index=True, default=None
    )
    place: Mapped[str | None] = mapped_column(String(200), default=None)
    health_class: Mapped[HealthClass] = mapped_column(
        enum_column(HealthClass, "past_check_health_class")
    )
    # [{"code": "I10", "principal": true}, ...]: ICD-10, validated on the way in. A list kept
    # with the record, not rows: history is read with its person, never counted by the
    # diagnosis reports (which count what was examined here).
    diagnoses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[PastCheckStatus] = mapped_column(
        enum_column(PastCheckStatus, "past_check_status"), default=PastCheckStatus.final
    )
    source: Mapped[PastCheckSource] = mapped_column(
        enum_column(PastCheckSource, "past_check_source"), default=PastCheckSource.api
    )
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    error_reason: Mapped[str | None] = mapped_column(String(300), default=None)

    __table_args__ = (
        CheckConstraint("(facility_id IS NULL) <> (place IS NULL)", name="one_place"),
        CheckConstraint(
            "(status = 'entered-in-error') = (error_reason IS NOT NULL)",
            name="error_reason_iff_error",
        ),
        # One check per person and day (a withdrawn one aside): what makes a re-import a no-op,
        # and the index the due list reads a person's last check from.
        Index(
            "uq_past_checks_beneficiary_date",
            "beneficiary_id",
            "date",
            unique=True,
            postgresql_where=text("status <> 'entered-in-error'"),
            sqlite_where=text("status <> 'entered-in-error'"),
        ),
        Index("ix_past_checks_beneficiary_id", "beneficiary_id"),
    )
