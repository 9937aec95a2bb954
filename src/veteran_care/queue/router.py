"""/api/v1: the queue's lines, calling the next number, served and absent."""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import WriteSession
from veteran_care.errors import NotFound, problem_responses
from veteran_care.kit.clock import today
from veteran_care.kit.i18n import Message, negotiate
from veteran_care.kit.schemas import Day
from veteran_care.models import Facility
from veteran_care.queue import service
from veteran_care.queue.schemas import Board, TicketRead

router = APIRouter(tags=["queue"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Caller = Annotated[Actor, allow(Permission.queue_call)]


@router.get(
    "/queues",
    summary="A facility's lines of a day: current and next numbers, waiting, average wait",
    responses=problem_responses(404),
)
async def queue_board(
    facility_id: uuid.UUID,
    request: Request,
    actor: Reader,
    session: WriteSession,
    date: Day | None = None,
) -> Board:
    facility = await session.get(Facility, facility_id)
    if facility is None or not actor.require().in_scope(facility_id):
        raise NotFound(Message("Facility {facility_id} was not found.", facility_id=facility_id))
    settings = request.app.state.settings
    language = negotiate(request.headers.get("accept-language"), settings.default_language)
    return await service.board(session, facility, date or today(), language)


@router.post(
    "/sessions/{session_id:uuid}/queue/call-next",
    summary="Call the next number of a session's line (it shows on the hall's display)",
    description=(
        "The first waiting ticket (by the time it joined the line) becomes `called`. 409 "
        "`ticket-still-called` while the number called before is neither served nor absent; "
        "`queue-empty` when nobody waits."
    ),
    responses=problem_responses(404, 409),
)
async def call_next(
    session_id: uuid.UUID, actor: Caller, session: WriteSession, tasks: BackgroundTasks
) -> TicketRead:
    ticket = await service.call_next(session, actor, session_id)
    tasks.add_task(service.changes.notify)  # after the commit: the displays read it
    return TicketRead.model_validate(ticket)


@router.post(
    "/queue-tickets/{ticket_id:uuid}/served",
    summary="The called person was seen",
    responses=problem_responses(404, 409),
)
async def ticket_served(
    ticket_id: uuid.UUID, actor: Caller, session: WriteSession, tasks: BackgroundTasks
) -> TicketRead:
    ticket = await service.finish(session, actor, ticket_id, served=True)
    tasks.add_task(service.changes.notify)
    return TicketRead.model_validate(ticket)


@router.post(
    "/queue-tickets/{ticket_id:uuid}/absent",
    summary="The called person did not come: back in line once, absent the second time",
    responses=problem_responses(404, 409),
)
async def ticket_absent(
    ticket_id: uuid.UUID, actor: Caller, session: WriteSession, tasks: BackgroundTasks
) -> TicketRead:
    ticket = await service.finish(session, actor, ticket_id, served=False)
    tasks.add_task(service.changes.notify)
    return TicketRead.model_validate(ticket)
