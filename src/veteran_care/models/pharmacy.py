"""Medicines, stock per facility in lots kept as an append-only ledger, and dispenses."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
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


class LedgerKind(StrEnum):
    """Kind of stock movement: receipt (in from a supplier), adjustment (counted, damaged
    or expired), dispense (out to a person) or return (back from a cancelled dispense)."""

    receipt = "receipt"
    adjustment = "adjustment"
    dispense = "dispense"
    return_ = "return"


class AdjustmentReason(StrEnum):
    """Why stock was adjusted: damaged, expired or a count correction."""

    damaged = "damaged"
    expired = "expired"
    count_correction = "count-correction"


class FundingSource(StrEnum):
    """Who paid for a lot: the state budget, health insurance, or a sponsor of a drive (a
    military unit, the Red Cross, a company)."""

    state_budget = "state-budget"
    health_insurance = "health-insurance"
    sponsor = "sponsor"


class DispenseStatus(StrEnum):
    """FHIR MedicationDispense.status (the subset used)."""

    completed = "completed"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"


class Medicine(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "medicines"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active_ingredient: Mapped[str] = mapped_column(String(200))
    strength: Mapped[str] = mapped_column(String(60))
    dosage_form: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(30))
    atc_code: Mapped[str] = mapped_column(String(7), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StockLot(IdMixin, TimestampMixin, Base):
    """A lot of a medicine at a facility. `on_hand` never goes negative (CHECK + conditional
    UPDATE) and always equals the sum of the lot's ledger entries."""

    __tablename__ = "stock_lots"

    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    medicine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicines.id"))
    lot_number: Mapped[str] = mapped_column(String(40))
    expiry_date: Mapped[date] = mapped_column(Date)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    # None: received before funding sources were recorded
    funding_source: Mapped[FundingSource | None] = mapped_column(
        enum_column(FundingSource, "funding_source"), default=None
    )
    sponsor: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (
        UniqueConstraint("facility_id", "medicine_id", "lot_number"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        Index("ix_stock_lots_fefo", "facility_id", "medicine_id", "expiry_date"),
    )


class LedgerEntry(Base):
    """One movement of stock: never edited, never deleted (a trigger refuses both)."""

    __tablename__ = "stock_ledger"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_lots.id"), index=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    medicine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicines.id"))
    kind: Mapped[LedgerKind] = mapped_column(enum_column(LedgerKind, "ledger_kind"))
    quantity: Mapped[int] = mapped_column(Integer)  # signed: + in, - out
    reason: Mapped[AdjustmentReason | None] = mapped_column(
        enum_column(AdjustmentReason, "adjustment_reason"), default=None
    )
    note: Mapped[str | None] = mapped_column(String(300), default=None)
    supplier: Mapped[str | None] = mapped_column(String(200), default=None)
    dispense_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dispenses.id"), index=True, default=None
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(default=None)

    __table_args__ = (CheckConstraint("quantity <> 0", name="quantity_not_zero"),)


class Dispense(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A medicine handed to a beneficiary (FHIR MedicationDispense)."""

    __tablename__ = "dispenses"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    checkup_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checkups.id"), default=None)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    medicine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medicines.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    dosage_instructions: Mapped[str] = mapped_column(String(500))
    days_of_supply: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    status: Mapped[DispenseStatus] = mapped_column(
        enum_column(DispenseStatus, "dispense_status"), default=DispenseStatus.completed
    )
    status_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    dispensed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispensed_by: Mapped[uuid.UUID | None] = mapped_column(default=None)

    lots: Mapped[list["DispenseLot"]] = relationship(lazy="raise", cascade="all")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_dispenses_facility_dispensed_at", "facility_id", "dispensed_at"),
    )


class DispenseLot(Base):
    """How much of a dispense came from which lot (first-expiry-first may split it)."""

    __tablename__ = "dispense_lots"

    dispense_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispenses.id"), primary_key=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_lots.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
