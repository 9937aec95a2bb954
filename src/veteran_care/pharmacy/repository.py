"""Every pharmacy query lives here. Stock leaves a lot by one conditional UPDATE."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from veteran_care.kit.clock import end_of_day, start_of_day, utcnow
from veteran_care.kit.pagination import SortKey, datetime_key, fetch_page, text_key
from veteran_care.models import Dispense, LedgerEntry, Medicine, StockLot

MEDICINE_SORTS: dict[str, SortKey] = {"code": text_key(Medicine.code)}
DISPENSE_SORTS: dict[str, SortKey] = {"-dispensed_at": datetime_key(Dispense.dispensed_at, True)}


async def medicine(session: AsyncSession, medicine_id: uuid.UUID) -> Medicine | None:
    return await session.get(Medicine, medicine_id)


async def medicine_by_code(session: AsyncSession, code: str) -> Medicine | None:
    return (await session.scalars(select(Medicine).where(Medicine.code == code))).first()


async def list_medicines(
    session: AsyncSession,
    *,
    atc_prefix: str | None,
    active: bool | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Medicine], str | None]:
    stmt = select(Medicine)
    if atc_prefix:
        stmt = stmt.where(Medicine.atc_code.startswith(atc_prefix))
    if active is not None:
        stmt = stmt.where(Medicine.active == active)
    key = MEDICINE_SORTS["code"]
    return await fetch_page(
        session, stmt, id_column=Medicine.id, sort="code", key=key, cursor=cursor, limit=limit
    )


async def lot(session: AsyncSession, lot_id: uuid.UUID) -> StockLot | None:
    return await session.get(StockLot, lot_id, populate_existing=True)


async def lot_by_number(
    session: AsyncSession, facility_id: uuid.UUID, medicine_id: uuid.UUID, number: str
) -> StockLot | None:
    stmt = select(StockLot).where(
        StockLot.facility_id == facility_id,
        StockLot.medicine_id == medicine_id,
        StockLot.lot_number == number,
    )
    return (await session.scalars(stmt)).first()


async def usable_lots(
    session: AsyncSession, facility_id: uuid.UUID, medicine_id: uuid.UUID, today: date
) -> Sequence[StockLot]:
    """Lots with stock that have not expired, first expiry first."""
    stmt = (
        select(StockLot)
        .where(
            StockLot.facility_id == facility_id,
            StockLot.medicine_id == medicine_id,
            StockLot.on_hand > 0,
            StockLot.expiry_date > today,
        )
        .order_by(StockLot.expiry_date, StockLot.id)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).all()


async def take(session: AsyncSession, lot_id: uuid.UUID, quantity: int, today: date) -> bool:
    """Take `quantity` out of an unexpired lot if it holds that much: one atomic statement."""
    stmt = (
        update(StockLot)
        .where(
            StockLot.id == lot_id,
            StockLot.on_hand >= quantity,
            StockLot.expiry_date > today,
        )
        .values(on_hand=StockLot.on_hand - quantity, updated_at=utcnow())
        .returning(StockLot.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


async def remove(session: AsyncSession, lot_id: uuid.UUID, quantity: int) -> bool:
    """An adjustment out (damaged, expired, count): expiry does not matter, stock does."""
    stmt = (
        update(StockLot)
        .where(StockLot.id == lot_id, StockLot.on_hand >= quantity)
        .values(on_hand=StockLot.on_hand - quantity, updated_at=utcnow())
        .returning(StockLot.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


async def put(session: AsyncSession, lot_id: uuid.UUID, quantity: int) -> None:
    stmt = (
        update(StockLot)
        .where(StockLot.id == lot_id)
        .values(on_hand=StockLot.on_hand + quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.execute(stmt)


async def stock(
    session: AsyncSession,
    facility_id: uuid.UUID,
    medicine_id: uuid.UUID | None,
    expiring_before: date | None,
    include_empty: bool,
) -> Sequence[tuple[StockLot, Medicine]]:
    stmt = (
        select(StockLot, Medicine)
        .join(Medicine, Medicine.id == StockLot.medicine_id)
        .where(StockLot.facility_id == facility_id)
        .order_by(Medicine.code, StockLot.expiry_date, StockLot.id)
    )
    if medicine_id is not None:
        stmt = stmt.where(StockLot.medicine_id == medicine_id)
    if expiring_before is not None:
        stmt = stmt.where(StockLot.expiry_date <= expiring_before)
    if not include_empty:
        stmt = stmt.where(StockLot.on_hand > 0)
    return [(lot, medicine) for lot, medicine in (await session.execute(stmt)).all()]


async def ledger(
    session: AsyncSession,
    facility_id: uuid.UUID,
    lot_id: uuid.UUID | None,
    before_id: int | None,
    limit: int,
) -> list[LedgerEntry]:
    stmt = select(LedgerEntry).where(LedgerEntry.facility_id == facility_id)
    if lot_id is not None:
        stmt = stmt.where(LedgerEntry.lot_id == lot_id)
    if before_id is not None:
        stmt = stmt.where(LedgerEntry.id < before_id)
    stmt = stmt.order_by(LedgerEntry.id.desc()).limit(limit + 1)
    return list((await session.scalars(stmt)).all())


async def dispense(session: AsyncSession, dispense_id: uuid.UUID) -> Dispense | None:
    stmt = (
        select(Dispense)
        .where(Dispense.id == dispense_id)
        .options(selectinload(Dispense.lots))
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).one_or_none()


async def list_dispenses(
    session: AsyncSession,
    *,
    scope: frozenset[uuid.UUID] | None,
    beneficiary_id: uuid.UUID | None,
    facility_id: uuid.UUID | None,
    dispensed_from: date | None,
    dispensed_to: date | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Dispense], str | None]:
    stmt = select(Dispense).options(selectinload(Dispense.lots))
    if scope is not None:
        stmt = stmt.where(Dispense.facility_id.in_(scope))
    if beneficiary_id is not None:
        stmt = stmt.where(Dispense.beneficiary_id == beneficiary_id)
    if facility_id is not None:
        stmt = stmt.where(Dispense.facility_id == facility_id)
    if dispensed_from is not None:
        stmt = stmt.where(Dispense.dispensed_at >= start_of_day(dispensed_from))
    if dispensed_to is not None:
        stmt = stmt.where(Dispense.dispensed_at < end_of_day(dispensed_to))
    sort = "-dispensed_at"
    key = DISPENSE_SORTS[sort]
    return await fetch_page(
        session, stmt, id_column=Dispense.id, sort=sort, key=key, cursor=cursor, limit=limit
    )
