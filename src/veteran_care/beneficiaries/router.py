"""/api/v1/beneficiaries and their cards."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import repository, scan, service
from veteran_care.beneficiaries.fields import (
    BirthYearQuery,
    CategoryCode,
    CommuneCode,
    EthnicityCode,
)
from veteran_care.beneficiaries.scan import CccdScan, ScanResult
from veteran_care.beneficiaries.schemas import (
    BeneficiaryCreate,
    BeneficiaryRead,
    BeneficiarySummary,
    BeneficiaryUpdate,
    CardCreate,
    CardRead,
    CardStatusUpdate,
)
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.kit.text import Line100, mask_fields
from veteran_care.models import Beneficiary, BeneficiaryStatus, InsuranceCard

router = APIRouter(route_class=IdempotentRoute, prefix="/beneficiaries", tags=["beneficiaries"])

Reader = Annotated[Actor, allow(Permission.registry_read)]
Writer = Annotated[Actor, allow(Permission.registry_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.registry_write)]

IfMatch = Annotated[
    str | None,
    Header(max_length=200, description="ETag from your last read; required (428 without)."),
]


def _card_model(card: InsuranceCard, actor: Actor) -> CardRead:
    read = CardRead.model_validate(card)
    return read if actor.require().sees_identifiers else mask_fields(read)


async def _read_model(
    session: AsyncSession, beneficiary: Beneficiary, actor: Actor
) -> BeneficiaryRead:
    card = await service.current_card(session, beneficiary)
    read = BeneficiaryRead.model_validate(beneficiary)
    read.current_card = _card_model(card, actor) if card else None
    return read if actor.require().sees_identifiers else mask_fields(read)


def _summary(beneficiary: Beneficiary, actor: Actor) -> BeneficiarySummary:
    summary = BeneficiarySummary.model_validate(beneficiary)
    return summary if actor.require().sees_identifiers else mask_fields(summary)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a beneficiary",
    description="409 `duplicate` with `existing_id` when the CCCD or BHXH number is taken.",
    responses=problem_responses(409),
)
async def create_beneficiary(
    data: BeneficiaryCreate, actor: IdempotentWriter, session: WriteSession, response: Response
) -> BeneficiaryRead:
    beneficiary = await service.create(session, data, actor)
    set_etag(response, beneficiary.version)
    response.headers["Location"] = f"/api/v1/beneficiaries/{beneficiary.id}"
    return await _read_model(session, beneficiary, actor)


@router.get(
    "",
    summary="List and search the registry",
    description=(
        "`q` searches accent- and case-insensitively by name (every word must appear: "
        '"nguyen van an" finds "Nguyễn Văn An", "dang" finds "Đặng"), or exactly by CCCD/CMND, '
        "BHXH number or card number. Keyset pagination: pass `next_cursor` back as `cursor`."
    ),
    responses=problem_responses(),
)
async def list_beneficiaries(
    actor: Reader,
    session: WriteSession,
    q: Annotated[Line100 | None, Query(description="Name, CCCD, BHXH or card number.")] = None,
    commune_code: Annotated[CommuneCode | None, Query()] = None,
    category: Annotated[CategoryCode | None, Query()] = None,
    ethnicity_code: Annotated[EthnicityCode | None, Query()] = None,
    status: BeneficiaryStatus | None = None,
    registered_facility_id: uuid.UUID | None = None,
    birth_year_from: Annotated[BirthYearQuery | None, Query()] = None,
    birth_year_to: Annotated[BirthYearQuery | None, Query()] = None,
    sort: Literal["full_name", "-full_name", "created_at", "-created_at"] = "full_name",
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[BeneficiarySummary]:
    principal = actor.require()
    filters = repository.BeneficiaryFilters(
        q=q,
        commune_code=commune_code,
        category=category,
        ethnicity_code=ethnicity_code,
        status=status,
        registered_facility_id=registered_facility_id,
        birth_year_from=birth_year_from,
        birth_year_to=birth_year_to,
        facility_scope=principal.scope,
        province_scope=principal.province_codes,
    )
    rows, next_cursor = await repository.list_beneficiaries(
        session, filters, sort=sort, cursor=cursor, limit=limit
    )
    used = [name for name, value in vars(filters).items() if value and name != "facility_scope"]
    await audit.record(
        session,
        actor,
        "search",
        resource_type="beneficiary",
        detail=f"filters: {', '.join(sorted(used)) or 'none'}; {len(rows)} rows",
    )
    return Page(items=[_summary(r, actor) for r in rows], next_cursor=next_cursor)


@router.post(
    "/cccd-scans",
    summary="Find a person by the QR code of their chip CCCD",
    description=(
        "The text a scanner reads from the QR code on a chip CCCD. Answers the registered "
        "person's id (matched by the CCCD, or by the old CMND the card also carries), or, when "
        "nobody the caller may see matches, a registration filled in from the card to complete "
        "and send to `POST /beneficiaries`. Text that is not a CCCD QR code: 422 "
        "`unreadable-cccd-qr`, naming the part that is wrong. Audited as a search."
    ),
    responses=problem_responses(422),
)
async def scan_cccd(body: CccdScan, actor: Reader, session: WriteSession) -> ScanResult:
    return await scan.identify(session, actor, body.text)


@router.get(
    "/{beneficiary_id:uuid}",
    summary="Read a beneficiary, with the card valid today",
    responses=problem_responses(404) | sends_etag(),
)
async def get_beneficiary(
    beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession, response: Response
) -> BeneficiaryRead:
    beneficiary = await service.read(session, beneficiary_id, actor)
    set_etag(response, beneficiary.version)
    return await _read_model(session, beneficiary, actor)


@router.patch(
    "/{beneficiary_id:uuid}",
    summary="Update a beneficiary (partial; needs If-Match)",
    description=(
        "Only the fields sent change; `categories`, when sent, replaces the list. Record a "
        "death with `status: deceased` and `date_of_death`. Beneficiaries are never deleted."
    ),
    responses=problem_responses(404, 409, 412, 428),
)
async def update_beneficiary(
    beneficiary_id: uuid.UUID,
    data: BeneficiaryUpdate,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> BeneficiaryRead:
    beneficiary = await service.update(session, beneficiary_id, data, if_match, actor)
    set_etag(response, beneficiary.version)
    return await _read_model(session, beneficiary, actor)


@router.post(
    "/{beneficiary_id:uuid}/cards",
    status_code=status.HTTP_201_CREATED,
    summary="Add a health-insurance card",
    description=(
        "Either number format. For the 15-character one, object code, benefit level and "
        "province are parsed out; in both, the BHXH number must be the beneficiary's."
    ),
    responses=problem_responses(404, 409),
)
async def create_card(
    beneficiary_id: uuid.UUID,
    data: CardCreate,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> CardRead:
    card = await service.add_card(session, beneficiary_id, data, actor)
    set_etag(response, card.version)
    response.headers["Location"] = f"/api/v1/beneficiaries/{beneficiary_id}/cards/{card.id}"
    return _card_model(card, actor)


@router.get(
    "/{beneficiary_id:uuid}/cards",
    summary="List a beneficiary's cards (history, newest first)",
    responses=problem_responses(404),
)
async def list_cards(
    beneficiary_id: uuid.UUID,
    actor: Reader,
    session: WriteSession,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[CardRead]:
    await service.get(session, beneficiary_id, actor)
    rows, next_cursor = await repository.list_cards(
        session, beneficiary_id, cursor=cursor, limit=limit
    )
    await audit.record(session, actor, "read", resource_type="card", beneficiary_id=beneficiary_id)
    return Page(items=[_card_model(r, actor) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{beneficiary_id:uuid}/cards/{card_id:uuid}",
    summary="Read a card",
    responses=problem_responses(404) | sends_etag(),
)
async def get_card(
    beneficiary_id: uuid.UUID,
    card_id: uuid.UUID,
    actor: Reader,
    session: WriteSession,
    response: Response,
) -> CardRead:
    card = await service.get_card(session, beneficiary_id, card_id, actor)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="card",
        resource_id=card.id,
        beneficiary_id=beneficiary_id,
    )
    set_etag(response, card.version)
    return _card_model(card, actor)


@router.patch(
    "/{beneficiary_id:uuid}/cards/{card_id:uuid}",
    summary="Change a card's status (needs If-Match)",
    responses=problem_responses(404, 409, 412, 428),
)
async def update_card_status(
    beneficiary_id: uuid.UUID,
    card_id: uuid.UUID,
    data: CardStatusUpdate,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> CardRead:
    card = await service.set_card_status(
        session, beneficiary_id, card_id, data.status, if_match, actor
    )
    set_etag(response, card.version)
    return _card_model(card, actor)
