"""HTTP shapes of medicines, stock and dispenses."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    Bool,
    CreatedAt,
    Day,
    InputSchema,
    Int,
    OutputSchema,
    Schema,
    UpdatedAt,
    Version,
    examples,
)
from veteran_care.kit.text import Line30, Line60, Line200, Line300
from veteran_care.models import AdjustmentReason, DispenseStatus, FundingSource, LedgerKind
from veteran_care.pharmacy import examples as ex

# ATC: anatomical group (A), therapeutic (A11), pharmacological (A11D), chemical (A11DA),
# substance (A11DA01).
ATC_PATTERN = r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$"
AtcCode = Annotated[str, Field(pattern=ATC_PATTERN, max_length=7, examples=["N02BE01"])]
MedicineCode = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9._-]{1,19}$", max_length=20)]
LotNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$", max_length=40)]
Quantity = Annotated[Int, Field(ge=1, le=1_000_000)]
ShortText = Line60


class MedicineCreate(InputSchema):
    """A medicine of the catalogue."""

    model_config = examples(ex.MEDICINE_CREATE)

    code: MedicineCode
    """The facility's medicine code (capitals, digits, . _ -); unique."""
    name: Line200
    """Name as dispensed, e.g. Paracetamol 500mg."""
    active_ingredient: Line200
    """Active ingredient(s), e.g. Paracetamol."""
    strength: ShortText = Field(examples=["500 mg"])
    """Strength per unit, e.g. 500 mg."""
    dosage_form: ShortText = Field(examples=["viên nén"])
    """Dosage form (Vietnamese), e.g. viên nén (tablet), thuốc nhỏ mắt (eye drops)."""
    unit: Line30 = Field(examples=["viên"])
    """The unit stock and dispenses count in, e.g. viên (tablet), lọ (bottle)."""
    atc_code: AtcCode
    """WHO ATC code, any level: J01 antibiotics, N02B/M01A fever and pain, S01 eye, A11 vitamins,
    A12/V06 supplements."""


class MedicineUpdate(InputSchema):
    """Partial update of a medicine: only the fields present change. Needs If-Match."""

    model_config = examples(ex.MEDICINE_UPDATE)

    name: Line200 | SkipJsonSchema[None] = None
    """Name as dispensed."""
    active_ingredient: Line200 | SkipJsonSchema[None] = None
    """Active ingredient(s)."""
    strength: ShortText | SkipJsonSchema[None] = None
    """Strength per unit."""
    dosage_form: ShortText | SkipJsonSchema[None] = None
    """Dosage form."""
    atc_code: AtcCode | SkipJsonSchema[None] = None
    """WHO ATC code."""
    active: Bool | SkipJsonSchema[None] = None
    """false: no longer dispensed (its history stays)."""

    @field_validator("name", "active_ingredient", "strength", "dosage_form", "atc_code", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise InvalidValue("cannot be null; leave the field out to keep it")
        return value


class MedicineRead(OutputSchema):
    """A medicine of the catalogue."""

    model_config = examples(ex.MEDICINE_READ)

    id: uuid.UUID
    """The medicine's id."""
    code: str
    """The medicine code."""
    name: str
    """Name as dispensed."""
    active_ingredient: str
    """Active ingredient(s)."""
    strength: str
    """Strength per unit."""
    dosage_form: str
    """Dosage form."""
    unit: str
    """The unit stock and dispenses count in."""
    atc_code: str
    """WHO ATC code."""
    active: bool
    """false: no longer dispensed."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class ReceiptIn(InputSchema):
    """Stock received at a facility: one lot of one medicine."""

    model_config = examples(ex.RECEIPT_IN)

    medicine_id: uuid.UUID
    """The medicine received."""
    lot_number: LotNumber
    """The manufacturer's lot (batch) number; a known lot of the medicine is topped up."""
    expiry_date: Day
    """The lot's expiry date; an expired lot is never dispensed."""
    quantity: Quantity
    """How many units were received."""
    supplier: Line200
    """Who supplied it (company, or the sponsor of a drive)."""
    funding_source: FundingSource | None = None
    """Who paid for it: `state-budget`, `health-insurance` or `sponsor`; a lot topped up
    keeps the source it was first received with."""
    sponsor: Line200 | None = Field(None, validate_default=True)
    """The sponsor who paid (a military unit, the Red Cross, a company): given exactly when
    `funding_source` is `sponsor`."""

    @field_validator("sponsor")
    @classmethod
    def _sponsor_named(cls, sponsor: str | None, info: ValidationInfo) -> str | None:
        paid_by_sponsor = info.data.get("funding_source") == FundingSource.sponsor
        if paid_by_sponsor and sponsor is None:
            raise InvalidValue("name the sponsor of a lot whose funding_source is sponsor")
        if sponsor is not None and not paid_by_sponsor:
            raise InvalidValue("a sponsor is named only when funding_source is sponsor")
        return sponsor


class AdjustmentIn(InputSchema):
    """A stock adjustment of one lot (a counted, damaged or expired quantity); stock never goes
    below 0."""

    model_config = examples(ex.ADJUSTMENT_IN)

    lot_id: uuid.UUID
    """The lot adjusted (of this facility)."""
    quantity: Annotated[Int, Field(ge=-1_000_000, le=1_000_000)] = Field(
        description="Signed: negative takes stock out (damaged, expired), positive adds; not 0.",
        json_schema_extra={"not": {"const": 0}},
    )
    reason: AdjustmentReason
    """damaged, expired or count-correction."""
    note: Line300 | None = None
    """Details, e.g. the stocktake's reference."""

    @field_validator("quantity")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise InvalidValue("must not be 0")
        return value


class LotRead(OutputSchema):
    """A lot of a medicine held at a facility."""

    id: uuid.UUID
    """The lot's id."""
    facility_id: uuid.UUID
    """Where it is held."""
    medicine_id: uuid.UUID
    """The medicine."""
    lot_number: str
    """The manufacturer's lot number."""
    expiry_date: date
    """Expiry date."""
    on_hand: int
    """Units in stock now."""
    funding_source: FundingSource | None
    """Who paid for it (null: received before sources were recorded)."""
    sponsor: str | None
    """The sponsor, when a sponsor paid."""


class LedgerRead(OutputSchema):
    """One movement of the stock ledger (append-only)."""

    id: int
    """Position in the ledger (increasing)."""
    lot_id: uuid.UUID
    """The lot moved."""
    facility_id: uuid.UUID
    """The facility."""
    medicine_id: uuid.UUID
    """The medicine."""
    kind: LedgerKind
    """receipt, adjustment, dispense or return."""
    quantity: int
    """Units, signed: positive in, negative out."""
    reason: AdjustmentReason | None
    """For adjustments: damaged, expired or count-correction."""
    note: str | None
    """Note of an adjustment or the reason of a return."""
    supplier: str | None
    """For receipts: who supplied it."""
    dispense_id: uuid.UUID | None
    """For dispenses and returns: the dispense."""
    recorded_at: datetime
    """When (UTC)."""
    recorded_by: uuid.UUID | None
    """The account that recorded it."""


class StockLine(Schema):
    """One medicine's stock at a facility, by lot."""

    medicine_id: uuid.UUID
    """The medicine."""
    medicine_code: str
    """Its code."""
    medicine_name: str
    """Its name."""
    unit: str
    """The unit counted."""
    on_hand: int
    """Units in stock, all lots together."""
    lots: list[LotRead]
    """The lots with stock, first expiry first."""


class StockRead(Schema):
    """A facility's stock."""

    facility_id: uuid.UUID
    """The facility."""
    medicines: list[StockLine]
    """Each medicine in stock."""


class DispenseIn(InputSchema):
    """Hand a medicine to a person: taken from the facility's unexpired lots, first expiry first."""

    model_config = examples(ex.DISPENSE_IN)

    beneficiary_id: uuid.UUID
    """The person who receives it."""
    facility_id: uuid.UUID
    """The facility whose stock it comes from."""
    medicine_id: uuid.UUID
    """The medicine."""
    quantity: Quantity
    """Units handed out (never more than in stock)."""
    dosage_instructions: Line300 = Field(examples=["Uống 1 viên x 2 lần/ngày sau ăn"])
    """How to take it (Vietnamese), as printed on the label."""
    days_of_supply: Annotated[Int, Field(ge=1, le=365)] | None = None
    """How many days it lasts."""
    checkup_id: uuid.UUID | None = None
    """The checkup it was prescribed at, if any."""
    lot_id: uuid.UUID | None = Field(
        None, description="Take from this lot only; default: first expiry first."
    )


class DispenseLotRead(OutputSchema):
    """The part of a dispense taken from one lot."""

    lot_id: uuid.UUID
    """The lot."""
    quantity: int
    """Units taken from it."""


class DispenseRead(OutputSchema):
    """A medicine handed to a person (FHIR MedicationDispense); corrected by a new status, never
    edited."""

    model_config = examples(ex.DISPENSE_READ)

    id: uuid.UUID
    """The dispense's id."""
    beneficiary_id: uuid.UUID
    """The person who received it."""
    checkup_id: uuid.UUID | None
    """The checkup it was prescribed at, if any."""
    facility_id: uuid.UUID
    """The facility whose stock it came from."""
    medicine_id: uuid.UUID
    """The medicine."""
    quantity: int
    """Units handed out."""
    dosage_instructions: str
    """How to take it."""
    days_of_supply: int | None
    """How many days it lasts."""
    status: DispenseStatus
    """completed, cancelled or entered-in-error."""
    status_reason: str | None
    """Why it was cancelled or entered in error."""
    lots: list[DispenseLotRead]
    """The lots it was taken from."""
    dispensed_at: datetime
    """When (UTC)."""
    dispensed_by: uuid.UUID | None
    """The pharmacist's account."""
    version: Version


class DispenseStatusIn(InputSchema):
    """Correct a dispense: cancel it or mark it entered in error. Needs If-Match."""

    model_config = examples({"status": "cancelled", "reason": "Bệnh nhân trả lại thuốc chưa dùng"})

    status: Literal[DispenseStatus.cancelled, DispenseStatus.entered_in_error] = Field(
        description="cancelled or entered-in-error: the quantity goes back to its lots (a "
        "dispense is completed when it is made)."
    )
    reason: Line300
    """Why; kept with the dispense."""
