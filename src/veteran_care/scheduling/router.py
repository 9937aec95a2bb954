"""/api/v1: specialties, facility services, sessions, availability."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.clock import today
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.kit.schemas import Day
from veteran_care.kit.validation import check_date_range
from veteran_care.models import Session, SessionStatus
from veteran_care.scheduling import booking, closing, repository, sessions
from veteran_care.scheduling.closing_schemas import Bookings
from veteran_care.scheduling.schemas import (
    Availability,
    GenerateResult,
    ServiceCreate,
    ServiceRead,
    ServiceUpdate,
    SessionCancel,
    SessionCancelled,
    SessionCreate,
    SessionGenerate,
    SessionRead,
    SessionUpdate,
    SpecialtyCode,
    SpecialtyList,
    SpecialtyRead,
    check_range,
)

router = APIRouter(route_class=IdempotentRoute, tags=["scheduling"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Writer = Annotated[Actor, allow(Permission.scheduling_write)]
Reference = Annotated[Actor, allow(Permission.reference_read)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.scheduling_write)]
IfMatch = Annotated[str | None, Header(max_length=200, description="ETag of your last read.")]


def session_read(found: Session) -> SessionRead:
    return SessionRead(
        id=found.id,
        service_id=found.service_id,
        facility_id=found.facility_id,
        venue_id=found.venue_id,
        specialty_code=found.specialty_code,
        date=found.date,
        part_of_day=found.part_of_day,
        capacity=found.capacity,
        booked=found.booked,
        places_left=found.capacity - found.booked,
        status=found.status,
        cancel_reason=found.cancel_reason,
        version=found.version,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


@router.get(
    "/specialties", summary="List specialties", tags=["reference"], responses=problem_responses()
)
async def list_specialties(actor: Reference, session: ReadSession) -> SpecialtyList:
    rows = await repository.specialties(session)
    return SpecialtyList(items=[SpecialtyRead.model_validate(r) for r in rows])


@router.post(
    "/facilities/{facility_id:uuid}/services",
    status_code=status.HTTP_201_CREATED,
    summary="Offer a specialty at a facility, with a weekly timetable",
    responses=problem_responses(404, 409),
)
async def create_facility_service(
    facility_id: uuid.UUID,
    data: ServiceCreate,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> ServiceRead:
    service = await sessions.create_service(session, actor, facility_id, data)
    set_etag(response, service.version)
    response.headers["Location"] = f"/api/v1/facilities/{facility_id}/services/{service.id}"
    return ServiceRead.model_validate(service)


@router.get(
    "/facilities/{facility_id:uuid}/services",
    summary="List a facility's services",
    responses=problem_responses(404),
)
async def list_facility_services(
    facility_id: uuid.UUID, actor: Reader, session: ReadSession
) -> list[ServiceRead]:
    from veteran_care.facilities import service as facilities

    await facilities.get(session, facility_id, actor)
    return [
        ServiceRead.model_validate(s) for s in await repository.services_of(session, facility_id)
    ]


@router.get(
    "/facilities/{facility_id:uuid}/services/{service_id:uuid}",
    summary="Read a facility's service: its specialty, timetable and default capacity",
    responses=problem_responses(404) | sends_etag(),
)
async def get_facility_service(
    facility_id: uuid.UUID,
    service_id: uuid.UUID,
    actor: Reader,
    session: ReadSession,
    response: Response,
) -> ServiceRead:
    service = await sessions.get_service(session, actor, facility_id, service_id)
    set_etag(response, service.version)
    return ServiceRead.model_validate(service)


@router.patch(
    "/facilities/{facility_id:uuid}/services/{service_id:uuid}",
    summary="Change a service's timetable, default capacity or active flag (needs If-Match)",
    responses=problem_responses(404, 412, 428),
)
async def update_facility_service(
    facility_id: uuid.UUID,
    service_id: uuid.UUID,
    data: ServiceUpdate,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceRead:
    service = await sessions.update_service(session, actor, facility_id, service_id, data, if_match)
    set_etag(response, service.version)
    return ServiceRead.model_validate(service)


@router.post(
    "/sessions/generate",
    summary="Create a facility's sessions from its timetables for a date range (idempotent)",
    responses=problem_responses(404),
)
async def generate_sessions(
    data: SessionGenerate, actor: IdempotentWriter, session: WriteSession
) -> GenerateResult:
    created, existing, skipped = await sessions.generate(session, actor, data)
    return GenerateResult(created=created, existing=existing, skipped=skipped)


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Create one session by hand",
    responses=problem_responses(409),
)
async def create_session(
    data: SessionCreate, actor: IdempotentWriter, session: WriteSession, response: Response
) -> SessionRead:
    sessions.ensure_not_past(data.date, today())
    found = await sessions.create_session(session, actor, data)
    set_etag(response, found.version)
    response.headers["Location"] = f"/api/v1/sessions/{found.id}"
    return session_read(found)


@router.get("/sessions", summary="List sessions", responses=problem_responses())
async def list_sessions(
    actor: Reader,
    session: ReadSession,
    facility_id: uuid.UUID | None = None,
    specialty_code: Annotated[SpecialtyCode | None, Query()] = None,
    status: SessionStatus | None = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
    sort: Literal["date", "-date"] = "date",
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[SessionRead]:
    check_date_range(date_from, date_to)
    principal = actor.require()
    rows, next_cursor = await repository.list_sessions(
        session,
        scope=principal.scope,
        facility_id=facility_id,
        specialty_code=specialty_code,
        status=status,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[session_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/sessions/{session_id:uuid}",
    summary="Read a session",
    responses=problem_responses(404) | sends_etag(),
)
async def get_session(
    session_id: uuid.UUID, actor: Reader, session: ReadSession, response: Response
) -> SessionRead:
    found = await sessions.get_session(session, actor, session_id)
    set_etag(response, found.version)
    return session_read(found)


@router.patch(
    "/sessions/{session_id:uuid}",
    summary="Change a session's capacity (never below what is booked; needs If-Match)",
    responses=problem_responses(404, 409, 412, 428),
)
async def update_session(
    session_id: uuid.UUID,
    data: SessionUpdate,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> SessionRead:
    found = await sessions.set_capacity(session, actor, session_id, data.capacity, if_match)
    set_etag(response, found.version)
    return session_read(found)


@router.post(
    "/sessions/{session_id:uuid}/close",
    summary="Close a session to new bookings (its appointments stay)",
    responses=problem_responses(404, 409),
)
async def close_session(session_id: uuid.UUID, actor: Writer, session: WriteSession) -> SessionRead:
    return session_read(await sessions.close(session, actor, session_id))


@router.post(
    "/sessions/{session_id:uuid}/cancel",
    summary="Cancel a session: its appointments cancelled by the facility, or moved",
    description=(
        "`bookings: cancel` (the default): everyone booked is cancelled by the facility and "
        "told (`session_cancelled`). `bookings: move`: each checkup booked in it is moved to "
        "the next day with places for all its specialties (public holidays and the "
        "facility's closed days skipped) and told by the reschedule notice; who cannot be "
        "moved is listed in `not_moved` and cancelled, or left booked with `unmovable: "
        "leave` (the session is then closed, not cancelled). One transaction (decision 0051)."
    ),
    responses=problem_responses(404, 409),
)
async def cancel_session(
    session_id: uuid.UUID, data: SessionCancel, actor: Writer, session: WriteSession
) -> SessionCancelled:
    if data.bookings == Bookings.cancel:
        found, people = await sessions.cancel(session, actor, session_id, data.reason)
        return SessionCancelled(session=session_read(found), people_to_call=people)
    closure = await closing.close_session(
        session, actor, session_id, data.reason, data.bookings, data.unmovable
    )
    return SessionCancelled(
        session=session_read(await sessions.get_session(session, actor, session_id)),
        people_to_call=closure.cancelled,
        moved=closure.moved,
        not_moved=closure.not_moved,
    )


@router.get(
    "/availability",
    summary="Days where every one of a set of specialties has places, with the places left",
    responses=problem_responses(404),
)
async def get_availability(
    actor: Reader,
    session: ReadSession,
    facility_id: uuid.UUID,
    specialty_codes: Annotated[list[SpecialtyCode], Query(min_length=1, max_length=20)],
    date_from: Day,
    date_to: Day,
) -> Availability:
    check_range(date_from, date_to)
    days = await booking.availability(
        session, actor, facility_id, specialty_codes, date_from, date_to
    )
    return Availability(facility_id=facility_id, specialty_codes=specialty_codes, days=days)
