"""/api/v1/beneficiaries and their cards."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.beneficiaries import repository, service
from veteran_care.beneficiaries.schemas import (
    BeneficiaryCreate,
    BeneficiaryRead,
    BeneficiarySummary,
    BeneficiaryUpdate,
    BirthYear,
    CardCreate,
    CardRead,
    CardStatusUpdate,
    CategoryCode,
    CommuneCode,
    EthnicityCode,
)
from veteran_care.db import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.kit.etag import set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.kit.text import Line100
from veteran_care.models import Beneficiary, BeneficiaryStatus

router = APIRouter(prefix="/beneficiaries", tags=["beneficiaries"])

IfMatch = Annotated[
    str | None,
    Header(max_length=200, description="ETag from your last read; required (428 without)."),
]


async def _read_model(session: AsyncSession, beneficiary: Beneficiary) -> BeneficiaryRead:
    card = await service.current_card(session, beneficiary)
    read = BeneficiaryRead.model_validate(beneficiary)
    read.current_card = CardRead.model_validate(card) if card else None
    return read


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a beneficiary",
    description="409 `duplicate` with `existing_id` when the CCCD or BHXH number is taken.",
    responses=problem_responses(409),
)
async def create_beneficiary(
    data: BeneficiaryCreate, session: WriteSession, response: Response
) -> BeneficiaryRead:
    beneficiary = await service.create(session, data)
    set_etag(response, beneficiary.version)
    response.headers["Location"] = f"/api/v1/beneficiaries/{beneficiary.id}"
    return await _read_model(session, beneficiary)


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
    session: ReadSession,
    q: Annotated[Line100 | None, Query(description="Name, CCCD, BHXH or card number.")] = None,
    commune_code: Annotated[CommuneCode | None, Query()] = None,
    category: Annotated[CategoryCode | None, Query()] = None,
    ethnicity_code: Annotated[EthnicityCode | None, Query()] = None,
    status: BeneficiaryStatus | None = None,
    registered_facility_id: uuid.UUID | None = None,
    birth_year_from: Annotated[BirthYear | None, Query()] = None,
    birth_year_to: Annotated[BirthYear | None, Query()] = None,
    sort: Literal["full_name", "-full_name", "created_at", "-created_at"] = "full_name",
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[BeneficiarySummary]:
    filters = repository.BeneficiaryFilters(
        q=q,
        commune_code=commune_code,
        category=category,
        ethnicity_code=ethnicity_code,
        status=status,
        registered_facility_id=registered_facility_id,
        birth_year_from=birth_year_from,
        birth_year_to=birth_year_to,
    )
    rows, next_cursor = await repository.list_beneficiaries(
        session, filters, sort=sort, cursor=cursor, limit=limit
    )
    return Page(items=[BeneficiarySummary.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{beneficiary_id}",
    summary="Read a beneficiary, with the card valid today",
    responses=problem_responses(404),
)
async def get_beneficiary(
    beneficiary_id: uuid.UUID, session: ReadSession, response: Response
) -> BeneficiaryRead:
    beneficiary = await service.get(session, beneficiary_id)
    set_etag(response, beneficiary.version)
    return await _read_model(session, beneficiary)


@router.patch(
    "/{beneficiary_id}",
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
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> BeneficiaryRead:
    beneficiary = await service.update(session, beneficiary_id, data, if_match)
    set_etag(response, beneficiary.version)
    return await _read_model(session, beneficiary)


@router.post(
    "/{beneficiary_id}/cards",
    status_code=status.HTTP_201_CREATED,
    summary="Add a health-insurance card",
    description=(
        "Either number format. For the 15-character one, object code, benefit level and "
        "province are parsed out; in both, the BHXH number must be the beneficiary's."
    ),
    responses=problem_responses(404, 409),
)
async def create_card(
    beneficiary_id: uuid.UUID, data: CardCreate, session: WriteSession, response: Response
) -> CardRead:
    card = await service.add_card(session, beneficiary_id, data)
    set_etag(response, card.version)
    response.headers["Location"] = f"/api/v1/beneficiaries/{beneficiary_id}/cards/{card.id}"
    return CardRead.model_validate(card)


@router.get(
    "/{beneficiary_id}/cards",
    summary="List a beneficiary's cards (history, newest first)",
    responses=problem_responses(404),
)
async def list_cards(
    beneficiary_id: uuid.UUID,
    session: ReadSession,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[CardRead]:
    await service.get(session, beneficiary_id)
    rows, next_cursor = await repository.list_cards(
        session, beneficiary_id, cursor=cursor, limit=limit
    )
    return Page(items=[CardRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{beneficiary_id}/cards/{card_id}",
    summary="Read a card",
    responses=problem_responses(404),
)
async def get_card(
    beneficiary_id: uuid.UUID, card_id: uuid.UUID, session: ReadSession, response: Response
) -> CardRead:
    card = await service.get_card(session, beneficiary_id, card_id)
    set_etag(response, card.version)
    return CardRead.model_validate(card)


@router.patch(
    "/{beneficiary_id}/cards/{card_id}",
    summary="Change a card's status (needs If-Match)",
    responses=problem_responses(404, 409, 412, 428),
)
async def update_card_status(
    beneficiary_id: uuid.UUID,
    card_id: uuid.UUID,
    data: CardStatusUpdate,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> CardRead:
    card = await service.set_card_status(session, beneficiary_id, card_id, data.status, if_match)
    set_etag(response, card.version)
    return CardRead.model_validate(card)
