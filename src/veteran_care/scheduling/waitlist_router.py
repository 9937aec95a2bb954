"""/api/v1/waitlist: waiting for a place in a full specialty, and booking the place held."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Response, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.etag import set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.models import WaitlistStatus
from veteran_care.scheduling import waitlist
from veteran_care.scheduling.checkup_schemas import CheckupRead
from veteran_care.scheduling.waitlist_schemas import WaitlistEntryRead, WaitlistJoin

router = APIRouter(route_class=IdempotentRoute, tags=["waitlist"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Writer = Annotated[Actor, allow(Permission.scheduling_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.scheduling_write)]


@router.post(
    "/waitlist",
    status_code=status.HTTP_201_CREATED,
    summary="Wait for a place in a full specialty, on a day or a range of days",
    description=(
        "The first in line is offered the next place freed in the specialty at the facility on "
        "one of those days (a cancellation, a reschedule, a raised capacity): the place is held "
        "for them for `VETERAN_CARE_WAITLIST_HOLD_MINUTES` and they are told by a message "
        "(`waitlist_offer`); then it goes to the next. 409 `places-available` (book one "
        "instead; `available_dates`), `already-waiting`, `beneficiary-not-active`; 422 "
        "`date-in-past`."
    ),
    responses=problem_responses(404, 409),
)
async def join_waitlist(
    data: WaitlistJoin, actor: IdempotentWriter, session: WriteSession, response: Response
) -> WaitlistEntryRead:
    entry = await waitlist.join(session, actor, data)
    response.headers["Location"] = f"/api/v1/waitlist/{entry.id}"
    return await waitlist.read_model(session, entry)


@router.get(
    "/waitlist", summary="List waitlist entries, first come first", responses=problem_responses()
)
async def list_waitlist(
    actor: Reader,
    session: WriteSession,
    facility_id: uuid.UUID | None = None,
    specialty_code: str | None = None,
    beneficiary_id: uuid.UUID | None = None,
    status: WaitlistStatus | None = None,
    sort: Literal["created_at", "-created_at"] = "created_at",
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[WaitlistEntryRead]:
    rows, next_cursor = await waitlist.search(
        session,
        actor,
        {
            "facility_id": facility_id,
            "specialty_code": specialty_code,
            "beneficiary_id": beneficiary_id,
            "status": status,
        },
        sort,
        cursor,
        limit,
    )
    return Page(items=[WaitlistEntryRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/waitlist/{entry_id:uuid}", summary="Read a waitlist entry", responses=problem_responses(404)
)
async def get_waitlist_entry(
    entry_id: uuid.UUID, actor: Reader, session: WriteSession
) -> WaitlistEntryRead:
    return await waitlist.read(session, actor, entry_id)


@router.post(
    "/waitlist/{entry_id:uuid}/accept",
    status_code=status.HTTP_201_CREATED,
    summary="Book the place held for the person: one call, the booking's usual rules",
    description=(
        "Books the held place's day and part of day for the entry's specialty, as `POST "
        "/checkups` does (the confirmation message included). 409 `no-place-held` when the "
        "hold has run out (the place went to the next in line) or the entry is not offered a "
        "place; a booking refused by its rules (`already-booked`, `card-not-valid`, ...) "
        "leaves the place held."
    ),
    responses=problem_responses(404, 409),
)
async def accept_waitlist_offer(
    entry_id: uuid.UUID, actor: IdempotentWriter, session: WriteSession, response: Response
) -> CheckupRead:
    checkup = await waitlist.accept(session, actor, entry_id)
    set_etag(response, checkup.version)
    response.headers["Location"] = f"/api/v1/checkups/{checkup.id}"
    return checkup


@router.post(
    "/waitlist/{entry_id:uuid}/withdraw",
    summary="Take the person off the waitlist; a place held for them goes to the next",
    responses=problem_responses(404, 409),
)
async def withdraw_from_waitlist(
    entry_id: uuid.UUID, actor: Writer, session: WriteSession
) -> WaitlistEntryRead:
    entry = await waitlist.withdraw(session, actor, entry_id)
    return await waitlist.read_model(session, entry)
