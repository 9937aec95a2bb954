"""Results of examinations: vitals with units and plausible ranges, findings, ICD-10 diagnoses,
and their amendments (nothing is overwritten silently)."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from veteran_care.db.base import Base
from veteran_care.models.columns import (
    IdMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    VitalsColumns,
    enum_column,
)


class ResultStatus(StrEnum):
    """FHIR Observation.status (the subset used)."""

    final = "final"
    amended = "amended"
    entered_in_error = "entered-in-error"


class HealthClass(StrEnum):
    """Health classification of a periodic check: I (very good) to V (very poor)."""

    I = "I"  # noqa: E741
    II = "II"
    III = "III"
    IV = "IV"
    V = "V"


class ExaminationResult(IdMixin, TimestampMixin, VersionedMixin, VitalsColumns, Base):
    """What one specialty examination (an appointment) found."""

    __tablename__ = "examination_results"

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), unique=True)
    checkup_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checkups.id"), index=True)
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    specialty_code: Mapped[str] = mapped_column(ForeignKey("specialties.code"))
    status: Mapped[ResultStatus] = mapped_column(
        enum_column(ResultStatus, "result_status"), default=ResultStatus.final
    )
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    findings: Mapped[str | None] = mapped_column(Text, default=None)

    diagnoses: Mapped[list["Diagnosis"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="Diagnosis.position"
    )


class Diagnosis(IdMixin, Base):
    """An ICD-10 (WHO) diagnosis of an examination; one of them may be the principal one."""

    __tablename__ = "diagnoses"

    result_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("examination_results.id"), index=True)
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    icd10_code: Mapped[str] = mapped_column(String(8), index=True)
    principal: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        Index(
            "uq_diagnoses_one_principal",
            "result_id",
            unique=True,
            postgresql_where=text("principal"),
            sqlite_where=text("principal"),
        ),
    )


class ResultAmendment(Base):
    """A correction of a result: who, when, why, and the values it replaced."""

    __tablename__ = "result_amendments"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    result_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("examination_results.id"), index=True)
    amended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amended_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(300))
    previous: Mapped[dict[str, Any]] = mapped_column(JSON)


class CheckupConclusion(TimestampMixin, VersionedMixin, Base):
    """Per checkup: health classification I-V, conclusion, recommendations, follow-up."""

    __tablename__ = "checkup_conclusions"

    checkup_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checkups.id"), primary_key=True)
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    health_class: Mapped[HealthClass] = mapped_column(enum_column(HealthClass, "health_class"))
    conclusion: Mapped[str] = mapped_column(Text)
    recommendations: Mapped[str | None] = mapped_column(Text, default=None)
    follow_up_on: Mapped[date | None] = mapped_column(Date, default=None)
    concluded_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
