"""HTTP shapes of medicines, stock and dispenses."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.schemas import Bool, Day, InputSchema, Int, OutputSchema
from veteran_care.kit.text import Line30, Line60, Line200, Line300
from veteran_care.models import AdjustmentReason, DispenseStatus, LedgerKind

# ATC: anatomical group (A), therapeutic (A11), pharmacological (A11D), chemical (A11DA),
# substance (A11DA01).
ATC_PATTERN = r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$"
AtcCode = Annotated[str, Field(pattern=ATC_PATTERN, max_length=7, examples=["N02BE01"])]
MedicineCode = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9._-]{1,19}$", max_length=20)]
LotNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$", max_length=40)]
Quantity = Annotated[Int, Field(ge=1, le=1_000_000)]
ShortText = Line60


class MedicineCreate(InputSchema):
    code: MedicineCode
    name: Line200
    active_ingredient: Line200
    strength: ShortText = Field(examples=["500 mg"])
    dosage_form: ShortText = Field(examples=["viên nén"])
    unit: Line30 = Field(examples=["viên"])
    atc_code: AtcCode


class MedicineUpdate(InputSchema):
    name: Line200 | SkipJsonSchema[None] = None
    active_ingredient: Line200 | SkipJsonSchema[None] = None
    strength: ShortText | SkipJsonSchema[None] = None
    dosage_form: ShortText | SkipJsonSchema[None] = None
    atc_code: AtcCode | SkipJsonSchema[None] = None
    active: Bool | SkipJsonSchema[None] = None

    @field_validator("name", "active_ingredient", "strength", "dosage_form", "atc_code", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


class MedicineRead(OutputSchema):
    id: uuid.UUID
    code: str
    name: str
    active_ingredient: str
    strength: str
    dosage_form: str
    unit: str
    atc_code: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ReceiptIn(InputSchema):
    medicine_id: uuid.UUID
    lot_number: LotNumber
    expiry_date: Day
    quantity: Quantity
    supplier: Line200


class AdjustmentIn(InputSchema):
    lot_id: uuid.UUID
    quantity: Annotated[Int, Field(ge=-1_000_000, le=1_000_000)] = Field(
        description="Signed: negative takes stock out (damaged, expired), positive adds; not 0.",
        json_schema_extra={"not": {"const": 0}},
    )
    reason: AdjustmentReason
    note: Line300 | None = None

    @field_validator("quantity")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value


class LotRead(OutputSchema):
    id: uuid.UUID
    facility_id: uuid.UUID
    medicine_id: uuid.UUID
    lot_number: str
    expiry_date: date
    on_hand: int


class LedgerRead(OutputSchema):
    id: int
    lot_id: uuid.UUID
    facility_id: uuid.UUID
    medicine_id: uuid.UUID
    kind: LedgerKind
    quantity: int
    reason: AdjustmentReason | None
    note: str | None
    supplier: str | None
    dispense_id: uuid.UUID | None
    recorded_at: datetime
    recorded_by: uuid.UUID | None


class StockLine(BaseModel):
    medicine_id: uuid.UUID
    medicine_code: str
    medicine_name: str
    unit: str
    on_hand: int
    lots: list[LotRead]


class StockRead(BaseModel):
    facility_id: uuid.UUID
    medicines: list[StockLine]


class DispenseIn(InputSchema):
    beneficiary_id: uuid.UUID
    facility_id: uuid.UUID
    medicine_id: uuid.UUID
    quantity: Quantity
    dosage_instructions: Line300 = Field(examples=["Uống 1 viên x 2 lần/ngày sau ăn"])
    days_of_supply: Annotated[Int, Field(ge=1, le=365)] | None = None
    checkup_id: uuid.UUID | None = None
    lot_id: uuid.UUID | None = Field(
        None, description="Take from this lot only; default: first expiry first."
    )


class DispenseLotRead(OutputSchema):
    lot_id: uuid.UUID
    quantity: int


class DispenseRead(OutputSchema):
    id: uuid.UUID
    beneficiary_id: uuid.UUID
    checkup_id: uuid.UUID | None
    facility_id: uuid.UUID
    medicine_id: uuid.UUID
    quantity: int
    dosage_instructions: str
    days_of_supply: int | None
    status: DispenseStatus
    status_reason: str | None
    lots: list[DispenseLotRead]
    dispensed_at: datetime
    dispensed_by: uuid.UUID | None
    version: int


class DispenseStatusIn(InputSchema):
    status: DispenseStatus = Field(
        description="cancelled or entered-in-error: the quantity goes back to its lots."
    )
    reason: Line300
