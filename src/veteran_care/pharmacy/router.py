"""/api/v1: medicines, facility stock and its ledger, dispenses."""

import base64
import binascii
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.facilities import service as facilities
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.clock import today
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from veteran_care.kit.schemas import Day
from veteran_care.kit.validation import check_date_range
from veteran_care.models import Dispense, StockLot
from veteran_care.pharmacy import repository, service
from veteran_care.pharmacy.schemas import (
    AdjustmentIn,
    DispenseIn,
    DispenseRead,
    DispenseStatusIn,
    LedgerRead,
    LotRead,
    MedicineCreate,
    MedicineRead,
    MedicineUpdate,
    ReceiptIn,
    StockLine,
    StockRead,
)

router = APIRouter(route_class=IdempotentRoute, tags=["pharmacy"])

Catalogue = Annotated[Actor, allow(Permission.reference_read)]
CatalogueWriter = Annotated[Actor, allow(Permission.medicines_write)]
Reader = Annotated[Actor, allow(Permission.pharmacy_read)]
Writer = Annotated[Actor, allow(Permission.pharmacy_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.pharmacy_write)]
IdempotentCatalogueWriter = Annotated[Actor, idempotent(Permission.medicines_write)]
IfMatch = Annotated[str | None, Header(max_length=200, description="ETag of your last read.")]


def dispense_read(record: Dispense) -> DispenseRead:
    return DispenseRead.model_validate(record)


def lot_url(lot: StockLot) -> str:
    """Where a receipt or an adjustment sends the client: the lot it changed."""
    return f"/api/v1/facilities/{lot.facility_id}/stock/lots/{lot.id}"


@router.post(
    "/medicines",
    status_code=status.HTTP_201_CREATED,
    summary="Add a medicine to the catalogue",
    responses=problem_responses(409),
)
async def create_medicine(
    data: MedicineCreate,
    actor: IdempotentCatalogueWriter,
    session: WriteSession,
    response: Response,
) -> MedicineRead:
    medicine = await service.create_medicine(session, actor, data)
    set_etag(response, medicine.version)
    response.headers["Location"] = f"/api/v1/medicines/{medicine.id}"
    return MedicineRead.model_validate(medicine)


@router.get("/medicines", summary="List the medicine catalogue", responses=problem_responses())
async def list_medicines(
    actor: Catalogue,
    session: ReadSession,
    atc: Annotated[str | None, Query(pattern=r"^[A-Z][A-Z0-9]{0,6}$", max_length=7)] = None,
    active: bool | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[MedicineRead]:
    rows, next_cursor = await repository.list_medicines(
        session, atc_prefix=atc, active=active, cursor=cursor, limit=limit
    )
    return Page(items=[MedicineRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/medicines/{medicine_id:uuid}",
    summary="Read a medicine",
    responses=problem_responses(404) | sends_etag(),
)
async def get_medicine(
    medicine_id: uuid.UUID, actor: Catalogue, session: ReadSession, response: Response
) -> MedicineRead:
    medicine = await service.get_medicine(session, medicine_id)
    set_etag(response, medicine.version)
    return MedicineRead.model_validate(medicine)


@router.patch(
    "/medicines/{medicine_id:uuid}",
    summary="Update or retire a medicine (needs If-Match)",
    responses=problem_responses(404, 412, 428),
)
async def update_medicine(
    medicine_id: uuid.UUID,
    data: MedicineUpdate,
    actor: CatalogueWriter,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> MedicineRead:
    medicine = await service.update_medicine(session, actor, medicine_id, data, if_match)
    set_etag(response, medicine.version)
    return MedicineRead.model_validate(medicine)


@router.post(
    "/facilities/{facility_id:uuid}/stock/receipts",
    status_code=status.HTTP_201_CREATED,
    summary="Receive a lot (number, expiry, quantity, supplier)",
    responses=problem_responses(404, 409),
)
async def receive_stock(
    facility_id: uuid.UUID,
    data: ReceiptIn,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> LotRead:
    lot = await service.receive(session, actor, facility_id, data)
    response.headers["Location"] = lot_url(lot)
    return LotRead.model_validate(lot)


@router.post(
    "/facilities/{facility_id:uuid}/stock/adjustments",
    status_code=status.HTTP_201_CREATED,
    summary="Adjust a lot (damaged, expired, count correction); never below zero",
    responses=problem_responses(404, 409),
)
async def adjust_stock(
    facility_id: uuid.UUID,
    data: AdjustmentIn,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> LotRead:
    lot = await service.adjust(session, actor, facility_id, data)
    response.headers["Location"] = lot_url(lot)
    return LotRead.model_validate(lot)


@router.get(
    "/facilities/{facility_id:uuid}/stock/lots/{lot_id:uuid}",
    summary="Read a lot: its number, expiry and what is on hand",
    responses=problem_responses(404),
)
async def get_stock_lot(
    facility_id: uuid.UUID, lot_id: uuid.UUID, actor: Reader, session: ReadSession
) -> LotRead:
    return LotRead.model_validate(await service.get_lot(session, actor, facility_id, lot_id))


@router.get(
    "/facilities/{facility_id:uuid}/stock",
    summary="Stock on hand by medicine and lot",
    description="`expiring_within_days` lists only lots expiring within that many days "
    "(expired ones included).",
    responses=problem_responses(404),
)
async def get_stock(
    facility_id: uuid.UUID,
    actor: Reader,
    session: ReadSession,
    medicine_id: uuid.UUID | None = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    include_empty: bool = False,
) -> StockRead:
    await facilities.get(session, facility_id, actor)
    before = None if expiring_within_days is None else today() + timedelta(expiring_within_days)
    rows = await repository.stock(session, facility_id, medicine_id, before, include_empty)
    lines: dict[uuid.UUID, StockLine] = {}
    for lot, medicine in rows:
        line = lines.setdefault(
            medicine.id,
            StockLine(
                medicine_id=medicine.id,
                medicine_code=medicine.code,
                medicine_name=medicine.name,
                unit=medicine.unit,
                on_hand=0,
                lots=[],
            ),
        )
        line.on_hand += lot.on_hand
        line.lots.append(LotRead.model_validate(lot))
    return StockRead(facility_id=facility_id, medicines=list(lines.values()))


@router.get(
    "/facilities/{facility_id:uuid}/stock/ledger",
    summary="The stock ledger (newest first): every receipt, adjustment, dispense and return",
    responses=problem_responses(404),
)
async def get_stock_ledger(
    facility_id: uuid.UUID,
    actor: Reader,
    session: ReadSession,
    lot_id: uuid.UUID | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[LedgerRead]:
    await facilities.get(session, facility_id, actor)
    before = None
    if cursor is not None:
        try:
            before = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidCursor("The cursor is not valid; use `next_cursor` as given.") from exc
    rows = await repository.ledger(session, facility_id, lot_id, before, limit)
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit and items:
        next_cursor = base64.urlsafe_b64encode(str(items[-1].id).encode()).decode().rstrip("=")
    return Page(items=[LedgerRead.model_validate(r) for r in items], next_cursor=next_cursor)


@router.post(
    "/dispenses",
    status_code=status.HTTP_201_CREATED,
    summary="Hand a medicine to a beneficiary (first expiry first, never an expired lot)",
    description="409 `insufficient-stock` says how much is `available`.",
    responses=problem_responses(404, 409),
)
async def create_dispense(
    data: DispenseIn, actor: IdempotentWriter, session: WriteSession, response: Response
) -> DispenseRead:
    record = await service.dispense(session, actor, data)
    set_etag(response, record.version)
    response.headers["Location"] = f"/api/v1/dispenses/{record.id}"
    return dispense_read(record)


@router.get(
    "/dispenses", summary="Dispenses of a facility or a beneficiary", responses=problem_responses()
)
async def list_dispenses(
    actor: Reader,
    session: WriteSession,
    facility_id: uuid.UUID | None = None,
    beneficiary_id: uuid.UUID | None = None,
    dispensed_from: Day | None = None,
    dispensed_to: Day | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[DispenseRead]:
    check_date_range(dispensed_from, dispensed_to, names=("dispensed_from", "dispensed_to"))
    principal = actor.require()
    rows, next_cursor = await repository.list_dispenses(
        session,
        scope=principal.scope,
        beneficiary_id=beneficiary_id,
        facility_id=facility_id,
        dispensed_from=dispensed_from,
        dispensed_to=dispensed_to,
        cursor=cursor,
        limit=limit,
    )
    await audit.record(
        session,
        actor,
        "search",
        resource_type="dispense",
        beneficiary_id=beneficiary_id,
        detail=f"{len(rows)} rows",
    )
    return Page(items=[dispense_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/dispenses/{dispense_id:uuid}",
    summary="Read a dispense",
    responses=problem_responses(404) | sends_etag(),
)
async def get_dispense(
    dispense_id: uuid.UUID, actor: Reader, session: WriteSession, response: Response
) -> DispenseRead:
    record = await service.get_dispense(session, actor, dispense_id)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="dispense",
        resource_id=record.id,
        beneficiary_id=record.beneficiary_id,
    )
    set_etag(response, record.version)
    return dispense_read(record)


@router.post(
    "/dispenses/{dispense_id:uuid}/status",
    summary="Cancel a dispense or mark it entered in error (the stock returns to its lots)",
    responses=problem_responses(404, 409),
)
async def set_dispense_status(
    dispense_id: uuid.UUID, data: DispenseStatusIn, actor: Writer, session: WriteSession
) -> DispenseRead:
    record = await service.set_status(session, actor, dispense_id, data.status, data.reason)
    return dispense_read(record)
