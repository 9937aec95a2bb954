"""/api/v1/venues"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.facilities.schemas import CommuneCode
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.models import VenueKind
from veteran_care.venues import repository, service
from veteran_care.venues.schemas import VenueCreate, VenueRead, VenueUpdate

router = APIRouter(route_class=IdempotentRoute, prefix="/venues", tags=["venues"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Writer = Annotated[Actor, allow(Permission.scheduling_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.scheduling_write)]
IfMatch = Annotated[
    str | None, Header(max_length=200, description="ETag from your last read of this venue.")
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a venue (a commune hall, a school) a visiting team can hold sessions at",
    responses=problem_responses(),
)
async def create_venue(
    data: VenueCreate, actor: IdempotentWriter, session: WriteSession, response: Response
) -> VenueRead:
    venue = await service.create(session, data, actor)
    set_etag(response, venue.version)
    response.headers["Location"] = f"/api/v1/venues/{venue.id}"
    return VenueRead.model_validate(venue)


@router.get("", summary="List venues", responses=problem_responses())
async def list_venues(
    actor: Reader,
    session: ReadSession,
    commune_code: Annotated[CommuneCode | None, Query()] = None,
    kind: VenueKind | None = None,
    active: bool | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[VenueRead]:
    rows, next_cursor = await repository.list_venues(
        session, commune_code=commune_code, kind=kind, active=active, cursor=cursor, limit=limit
    )
    return Page(items=[VenueRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{venue_id:uuid}", summary="Read a venue", responses=problem_responses(404) | sends_etag()
)
async def get_venue(
    venue_id: uuid.UUID, actor: Reader, session: ReadSession, response: Response
) -> VenueRead:
    venue = await service.get(session, venue_id)
    set_etag(response, venue.version)
    return VenueRead.model_validate(venue)


@router.patch(
    "/{venue_id:uuid}",
    summary="Update a venue (partial; needs If-Match)",
    responses=problem_responses(404, 412, 428),
)
async def update_venue(
    venue_id: uuid.UUID,
    data: VenueUpdate,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> VenueRead:
    venue = await service.update(session, venue_id, data, if_match, actor)
    set_etag(response, venue.version)
    return VenueRead.model_validate(venue)
