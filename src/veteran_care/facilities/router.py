"""/api/v1/facilities"""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.facilities import repository, service
from veteran_care.facilities.schemas import (
    CommuneCode,
    FacilityCreate,
    FacilityRead,
    FacilityUpdate,
)
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.models import FacilityLevel

router = APIRouter(route_class=IdempotentRoute, prefix="/facilities", tags=["facilities"])

Reader = Annotated[Actor, allow(Permission.facilities_read)]
Writer = Annotated[Actor, allow(Permission.facilities_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.facilities_write)]

IfMatch = Annotated[
    str | None,
    Header(max_length=200, description="ETag from your last read of this facility."),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a facility",
    responses=problem_responses(409),
)
async def create_facility(
    data: FacilityCreate, actor: IdempotentWriter, session: WriteSession, response: Response
) -> FacilityRead:
    facility = await service.create(session, data, actor)
    set_etag(response, facility.version)
    response.headers["Location"] = f"/api/v1/facilities/{facility.id}"
    return FacilityRead.model_validate(facility)


@router.get("", summary="List facilities", responses=problem_responses())
async def list_facilities(
    actor: Reader,
    session: ReadSession,
    level: FacilityLevel | None = None,
    commune_code: Annotated[CommuneCode | None, Query()] = None,
    active: bool | None = None,
    sort: Literal["code", "name"] = "code",
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[FacilityRead]:
    rows, next_cursor = await repository.list_facilities(
        session,
        level=level,
        commune_code=commune_code,
        active=active,
        scope=actor.require().scope,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[FacilityRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{facility_id:uuid}",
    summary="Read a facility",
    responses=problem_responses(404) | sends_etag(),
)
async def get_facility(
    facility_id: uuid.UUID, actor: Reader, session: ReadSession, response: Response
) -> FacilityRead:
    facility = await service.get(session, facility_id, actor)
    set_etag(response, facility.version)
    return FacilityRead.model_validate(facility)


@router.patch(
    "/{facility_id:uuid}",
    summary="Update a facility (partial; needs If-Match)",
    responses=problem_responses(404, 409, 412, 428),
)
async def update_facility(
    facility_id: uuid.UUID,
    data: FacilityUpdate,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> FacilityRead:
    facility = await service.update(session, facility_id, data, if_match, actor)
    set_etag(response, facility.version)
    return FacilityRead.model_validate(facility)
