"""/api/v1/checkups and /api/v1/appointments: booking and the lifecycle."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.kit.schemas import Day
from veteran_care.kit.validation import check_date_range
from veteran_care.models import Checkup, CheckupStatus
from veteran_care.scheduling import booking, repository
from veteran_care.scheduling.checkup_schemas import (
    AppointmentRead,
    Cancel,
    CheckupCreate,
    CheckupRead,
    NoShowResult,
    NoShowRun,
    Reschedule,
    StatusChangeRead,
    Transition,
)

router = APIRouter(route_class=IdempotentRoute, tags=["checkups"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Writer = Annotated[Actor, allow(Permission.scheduling_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.scheduling_write)]

BOOKING_ERRORS = problem_responses(404, 409)


def checkup_read(checkup: Checkup) -> CheckupRead:
    return CheckupRead.model_validate(checkup)


@router.post(
    "/checkups",
    status_code=status.HTTP_201_CREATED,
    summary="Book a periodic check: one appointment per specialty, all or nothing",
    description=(
        "Every specialty gets a place in that day's session (the preferred part of day first). "
        "409 `session-full` or `no-session` names the specialty and offers as "
        "`next_available_dates` the five days nearest to the one asked (today included) where "
        "every requested specialty has a place; 409 "
        "`already-booked`, `beneficiary-not-active`; 422 `date-in-past`, `card-not-valid` "
        "(unless `card_override_reason` is given: audited)."
    ),
    responses=BOOKING_ERRORS,
)
async def book_checkup(
    data: CheckupCreate, actor: IdempotentWriter, session: WriteSession, response: Response
) -> CheckupRead:
    checkup = await booking.book(session, actor, data)
    set_etag(response, checkup.version)
    response.headers["Location"] = f"/api/v1/checkups/{checkup.id}"
    return checkup


@router.get("/checkups", summary="List checkups", responses=problem_responses())
async def list_checkups(
    actor: Reader,
    session: WriteSession,
    facility_id: uuid.UUID | None = None,
    beneficiary_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
    session_id: Annotated[
        uuid.UUID | None,
        Query(description="Only checkups with an appointment in this session (any status)."),
    ] = None,
    status: CheckupStatus | None = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
    sort: Literal["date", "-date"] = "date",
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[CheckupRead]:
    check_date_range(date_from, date_to)
    principal = actor.require()
    rows, next_cursor = await repository.list_checkups(
        session,
        scope=principal.scope,
        facility_id=facility_id,
        beneficiary_id=beneficiary_id,
        campaign_id=campaign_id,
        session_id=session_id,
        status=status,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    await audit.record(
        session,
        actor,
        "search",
        resource_type="checkup",
        beneficiary_id=beneficiary_id,
        detail=f"{len(rows)} rows",
    )
    return Page(items=[checkup_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/checkups/{checkup_id:uuid}",
    summary="Read a checkup",
    responses=problem_responses(404) | sends_etag(),
)
async def get_checkup(
    checkup_id: uuid.UUID, actor: Reader, session: WriteSession, response: Response
) -> CheckupRead:
    checkup = await booking.read_checkup(session, actor, checkup_id)
    set_etag(response, checkup.version)
    return checkup_read(checkup)


@router.post(
    "/checkups/{checkup_id:uuid}/check-in",
    summary="Check the person in: every booked appointment of the checkup (on the day)",
    responses=problem_responses(404, 409),
)
async def check_in_checkup(
    checkup_id: uuid.UUID, actor: Writer, session: WriteSession
) -> CheckupRead:
    return checkup_read(await booking.check_in(session, actor, checkup_id))


@router.post(
    "/checkups/{checkup_id:uuid}/cancel",
    summary="Cancel a checkup (its open appointments), by the patient or the facility",
    responses=problem_responses(404, 409),
)
async def cancel_checkup(
    checkup_id: uuid.UUID, data: Cancel, actor: Writer, session: WriteSession
) -> CheckupRead:
    checkup = await booking.cancel_checkup(
        session, actor, checkup_id, data.cancelled_by, data.reason
    )
    return checkup_read(checkup)


@router.post(
    "/checkups/{checkup_id:uuid}/reschedule",
    status_code=status.HTTP_201_CREATED,
    summary="Move a checkup to another day: old appointments cancelled, linked to the new ones",
    responses=BOOKING_ERRORS,
)
async def reschedule_checkup(
    checkup_id: uuid.UUID,
    data: Reschedule,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> CheckupRead:
    checkup = await booking.reschedule(
        session, actor, checkup_id, data.date, data.part_of_day, data.cancelled_by, data.reason
    )
    response.headers["Location"] = f"/api/v1/checkups/{checkup.id}"
    return checkup


@router.get(
    "/appointments/{appointment_id:uuid}",
    summary="Read an appointment",
    responses=problem_responses(404) | sends_etag(),
)
async def get_appointment(
    appointment_id: uuid.UUID, actor: Reader, session: ReadSession, response: Response
) -> AppointmentRead:
    appointment = await booking.get_appointment(session, actor, appointment_id)
    set_etag(response, appointment.version)
    return AppointmentRead.model_validate(appointment)


@router.get(
    "/appointments/{appointment_id:uuid}/history",
    summary="Every status change of an appointment (who, when, from, to, why)",
    responses=problem_responses(404),
)
async def appointment_history(
    appointment_id: uuid.UUID, actor: Reader, session: ReadSession
) -> list[StatusChangeRead]:
    await booking.get_appointment(session, actor, appointment_id)
    rows = await repository.history(session, appointment_id)
    return [StatusChangeRead.model_validate(r) for r in rows]


@router.post(
    "/appointments/{appointment_id:uuid}/cancel",
    summary="Cancel one appointment, by the patient or the facility (frees its place)",
    responses=problem_responses(404, 409),
)
async def cancel_appointment(
    appointment_id: uuid.UUID, data: Cancel, actor: Writer, session: WriteSession
) -> AppointmentRead:
    appointment = await booking.cancel_appointment(
        session, actor, appointment_id, data.cancelled_by, data.reason
    )
    return AppointmentRead.model_validate(appointment)


@router.post(
    "/appointments/{appointment_id:uuid}/status",
    summary="Check in one appointment, record a no-show, or mark it entered in error",
    responses=problem_responses(404, 409),
)
async def transition_appointment(
    appointment_id: uuid.UUID, data: Transition, actor: Writer, session: WriteSession
) -> AppointmentRead:
    appointment = await booking.transition(session, actor, appointment_id, data.status, data.reason)
    return AppointmentRead.model_validate(appointment)


@router.post(
    "/appointments/mark-noshows",
    summary="Mark booked appointments of past days as no-shows",
    responses=problem_responses(),
)
async def mark_noshows(data: NoShowRun, actor: Writer, session: WriteSession) -> NoShowResult:
    marked = await booking.mark_noshows(session, actor, data.before, data.facility_id)
    return NoShowResult(marked=marked)
