"""Catalogue, receipts and adjustments, dispensing first-expiry-first, cancellations.

Stock never goes negative: every removal is a conditional UPDATE (`on_hand >= :q`) backed by
a CHECK constraint; every movement is a ledger row, so on-hand always equals the ledger's sum.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import repository as beneficiaries
from veteran_care.errors import Conflict, NotFound, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.kit.clock import today, utcnow
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.kit.validation import InvalidInput
from veteran_care.models import (
    Dispense,
    DispenseLot,
    DispenseStatus,
    LedgerEntry,
    LedgerKind,
    Medicine,
    StockLot,
)
from veteran_care.pharmacy import funding, repository
from veteran_care.pharmacy.schemas import (
    AdjustmentIn,
    DispenseIn,
    MedicineCreate,
    MedicineUpdate,
    ReceiptIn,
)
from veteran_care.scheduling import repository as scheduling
from veteran_care.webhooks import events as webhooks

RETRIES = 12


def _entry(
    actor: Actor, lot: StockLot, kind: LedgerKind, quantity: int, **extra: object
) -> LedgerEntry:
    return LedgerEntry(
        lot_id=lot.id,
        facility_id=lot.facility_id,
        medicine_id=lot.medicine_id,
        kind=kind,
        quantity=quantity,
        recorded_at=utcnow(),
        recorded_by=actor.require().account_id,
        **extra,
    )


# Catalogue ------------------------------------------------------------------------------------


async def create_medicine(session: AsyncSession, actor: Actor, data: MedicineCreate) -> Medicine:
    existing = await repository.medicine_by_code(session, data.code)
    if existing is not None:
        raise Conflict(
            Message("A medicine with code {code} exists.", code=data.code),
            code="duplicate",
            fields=["code"],
            existing_id=str(existing.id),
        )
    medicine = Medicine(**data.model_dump())
    session.add(medicine)
    await session.flush()
    await audit.record(session, actor, "create", resource_type="medicine", resource_id=medicine.id)
    return medicine


async def get_medicine(session: AsyncSession, medicine_id: uuid.UUID) -> Medicine:
    medicine = await repository.medicine(session, medicine_id)
    if medicine is None:
        raise NotFound(Message("Medicine {medicine_id} was not found.", medicine_id=medicine_id))
    return medicine


async def update_medicine(
    session: AsyncSession,
    actor: Actor,
    medicine_id: uuid.UUID,
    data: MedicineUpdate,
    if_match: str | None,
) -> Medicine:
    medicine = await get_medicine(session, medicine_id)
    check_if_match(if_match, medicine.version)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(medicine, name, value)
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type="medicine",
        resource_id=medicine.id,
        changed_fields=sorted(data.model_fields_set),
    )
    return medicine


async def _known_medicine(session: AsyncSession, medicine_id: uuid.UUID) -> Medicine:
    medicine = await repository.medicine(session, medicine_id)
    if medicine is None:
        raise Unprocessable(
            Message("medicine_id: there is no medicine {medicine_id}.", medicine_id=medicine_id),
            code="unknown-medicine",
            field="medicine_id",
        )
    return medicine


# Stock ----------------------------------------------------------------------------------------


async def receive(
    session: AsyncSession, actor: Actor, facility_id: uuid.UUID, data: ReceiptIn
) -> StockLot:
    await facilities.get(session, facility_id, actor)
    await _known_medicine(session, data.medicine_id)
    if data.expiry_date <= today():
        raise Unprocessable(
            "expiry_date: this lot has expired; it cannot be received.",
            code="lot-expired",
            field="expiry_date",
        )
    lot = await repository.lot_by_number(session, facility_id, data.medicine_id, data.lot_number)
    if lot is None:
        lot = StockLot(
            facility_id=facility_id,
            medicine_id=data.medicine_id,
            lot_number=data.lot_number,
            expiry_date=data.expiry_date,
            on_hand=0,
        )
        session.add(lot)
    elif lot.expiry_date != data.expiry_date:
        raise Conflict(
            Message(
                "Lot {lot_number} is recorded with expiry {expiry_date}.",
                lot_number=data.lot_number,
                expiry_date=lot.expiry_date,
            ),
            code="lot-expiry-mismatch",
        )
    funding.record_source(lot, data)
    await session.flush()
    await repository.put(session, lot.id, data.quantity)
    session.add(_entry(actor, lot, LedgerKind.receipt, data.quantity, supplier=data.supplier))
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="stock_receipt",
        resource_id=lot.id,
        detail=f"+{data.quantity}",
    )
    return await _fresh_lot(session, lot.id)


async def get_lot(
    session: AsyncSession, actor: Actor, facility_id: uuid.UUID, lot_id: uuid.UUID
) -> StockLot:
    await facilities.get(session, facility_id, actor)
    lot = await repository.lot(session, lot_id)
    if lot is None or lot.facility_id != facility_id:
        raise NotFound(
            Message(
                "Lot {lot_id} of facility {facility_id} was not found.",
                lot_id=lot_id,
                facility_id=facility_id,
            )
        )
    return lot


async def _fresh_lot(session: AsyncSession, lot_id: uuid.UUID) -> StockLot:
    lot = await repository.lot(session, lot_id)
    assert lot is not None
    return lot


async def _facility_lot(
    session: AsyncSession, facility_id: uuid.UUID, lot_id: uuid.UUID, field: str = "lot_id"
) -> StockLot:
    lot = await repository.lot(session, lot_id)
    if lot is None or lot.facility_id != facility_id:
        raise Unprocessable(
            Message(
                "{field}: there is no lot {lot_id} at this facility.", field=field, lot_id=lot_id
            ),
            code="unknown-lot",
            field=field,
        )
    return lot


async def adjust(
    session: AsyncSession, actor: Actor, facility_id: uuid.UUID, data: AdjustmentIn
) -> StockLot:
    await facilities.get(session, facility_id, actor)
    lot = await _facility_lot(session, facility_id, data.lot_id)
    if data.quantity < 0:
        if not await repository.remove(session, lot.id, -data.quantity):
            lot = await _fresh_lot(session, lot.id)
            raise Conflict(
                Message("Only {on_hand} are on hand in this lot.", on_hand=lot.on_hand),
                code="insufficient-stock",
                available=lot.on_hand,
            )
    else:
        await repository.put(session, lot.id, data.quantity)
    session.add(
        _entry(actor, lot, LedgerKind.adjustment, data.quantity, reason=data.reason, note=data.note)
    )
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="stock_adjustment",
        resource_id=lot.id,
        detail=f"{data.quantity:+d} {data.reason.value}",
    )
    return await _fresh_lot(session, lot.id)


# Dispensing -----------------------------------------------------------------------------------


async def _take_named(
    session: AsyncSession, lot: StockLot, quantity: int
) -> list[tuple[StockLot, int]]:
    if lot.expiry_date <= today():
        raise Conflict(
            Message(
                "Lot {lot_number} expired on {expiry_date}.",
                lot_number=lot.lot_number,
                expiry_date=lot.expiry_date,
            ),
            code="lot-expired",
        )
    if not await repository.take(session, lot.id, quantity, today()):
        lot = await _fresh_lot(session, lot.id)
        raise Conflict(
            Message(
                "Only {on_hand} are available in lot {lot_number}.",
                on_hand=lot.on_hand,
                lot_number=lot.lot_number,
            ),
            code="insufficient-stock",
            available=lot.on_hand,
        )
    return [(lot, quantity)]


async def _take_fefo(
    session: AsyncSession,
    facility_id: uuid.UUID,
    medicine_id: uuid.UUID,
    quantity: int,
    sponsor: str | None = None,
) -> list[tuple[StockLot, int]]:
    """First expiry first, split across lots (of ``sponsor``'s only, when named); expired
    lots are never used."""
    for _ in range(RETRIES):
        lots = await repository.usable_lots(session, facility_id, medicine_id, today())
        if sponsor is not None:
            lots = [lot for lot in lots if funding.paid_by(lot, sponsor)]
        available = sum(lot.on_hand for lot in lots)
        if available < quantity:
            raise Conflict(
                Message(
                    "Only {available} are available (unexpired) at this facility.",
                    available=available,
                )
                if sponsor is None
                else Message(
                    "Only {available} are available (unexpired) from {sponsor}'s lots at this "
                    "facility.",
                    available=available,
                    sponsor=sponsor,
                ),
                code="insufficient-stock",
                available=available,
            )
        plan: list[tuple[StockLot, int]] = []
        remaining = quantity
        for lot in lots:
            portion = min(remaining, lot.on_hand)
            plan.append((lot, portion))
            remaining -= portion
            if remaining == 0:
                break
        taken: list[tuple[StockLot, int]] = []
        for lot, portion in plan:
            if not await repository.take(session, lot.id, portion, today()):
                break
            taken.append((lot, portion))
        else:
            return taken
        for lot, portion in taken:  # someone else took stock meanwhile: undo and look again
            await repository.put(session, lot.id, portion)
    raise Conflict("The stock is changing too fast; try again.", code="stock-busy")


async def dispense(session: AsyncSession, actor: Actor, data: DispenseIn) -> Dispense:
    await facilities.get(session, data.facility_id, actor)
    if await beneficiaries.get(session, data.beneficiary_id) is None:
        raise Unprocessable(
            Message(
                "beneficiary_id: there is no beneficiary {beneficiary_id}.",
                beneficiary_id=data.beneficiary_id,
            ),
            code="unknown-beneficiary",
            field="beneficiary_id",
        )
    medicine = await _known_medicine(session, data.medicine_id)
    if not medicine.active:
        raise Conflict(
            "This medicine is no longer active in the catalogue.", code="medicine-inactive"
        )
    if data.checkup_id is not None:
        checkup = await scheduling.get_checkup(session, data.checkup_id)
        if checkup is None or checkup.beneficiary_id != data.beneficiary_id:
            raise Unprocessable(
                "checkup_id: no checkup of this beneficiary has this id.",
                code="unknown-checkup",
                field="checkup_id",
            )
    sponsor = await funding.campaign_sponsor(session, data.checkup_id)
    if data.lot_id is not None:
        lot = await _facility_lot(session, data.facility_id, data.lot_id)
        if lot.medicine_id != data.medicine_id:
            raise InvalidInput("body.lot_id", "the lot is of another medicine")
        funding.ensure_sponsored(lot, sponsor)
        portions = await _take_named(session, lot, data.quantity)
    else:
        portions = await _take_fefo(
            session, data.facility_id, data.medicine_id, data.quantity, sponsor
        )
    record = Dispense(
        beneficiary_id=data.beneficiary_id,
        checkup_id=data.checkup_id,
        facility_id=data.facility_id,
        medicine_id=data.medicine_id,
        quantity=data.quantity,
        dosage_instructions=data.dosage_instructions,
        days_of_supply=data.days_of_supply,
        dispensed_at=utcnow(),
        dispensed_by=actor.require().account_id,
        lots=[DispenseLot(lot_id=lot.id, quantity=portion) for lot, portion in portions],
    )
    session.add(record)
    await session.flush()
    session.add_all(
        _entry(actor, lot, LedgerKind.dispense, -portion, dispense_id=record.id)
        for lot, portion in portions
    )
    await session.flush()
    await webhooks.emit(session, webhooks.dispense_recorded(record))
    await audit.record(
        session,
        actor,
        "create",
        resource_type="dispense",
        resource_id=record.id,
        beneficiary_id=record.beneficiary_id,
    )
    return record


async def get_dispense(session: AsyncSession, actor: Actor, dispense_id: uuid.UUID) -> Dispense:
    record = await repository.dispense(session, dispense_id)
    if record is None or not actor.require().in_scope(record.facility_id):
        raise NotFound(Message("Dispense {dispense_id} was not found.", dispense_id=dispense_id))
    return record


async def set_status(
    session: AsyncSession, actor: Actor, dispense_id: uuid.UUID, status: DispenseStatus, reason: str
) -> Dispense:
    """Cancel or mark entered in error: the quantity returns to its lots through the ledger."""
    record = await get_dispense(session, actor, dispense_id)
    if status == DispenseStatus.completed:
        raise InvalidInput("body.status", "a dispense is completed when it is made")
    if record.status != DispenseStatus.completed:
        raise Conflict(
            Message("The dispense is {status} already.", status=record.status.value),
            code="invalid-status-transition",
        )
    for portion in record.lots:
        lot = await _fresh_lot(session, portion.lot_id)
        await repository.put(session, lot.id, portion.quantity)
        session.add(
            _entry(
                actor, lot, LedgerKind.return_, portion.quantity, dispense_id=record.id, note=reason
            )
        )
    record.status = status
    record.status_reason = reason
    await session.flush()
    await audit.record(
        session,
        actor,
        "status_change",
        resource_type="dispense",
        resource_id=record.id,
        beneficiary_id=record.beneficiary_id,
        changed_fields=["status"],
    )
    return record
