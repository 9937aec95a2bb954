"""/api/v1/venues/{venue_id}/visits: a visiting team's sessions at a venue."""

import uuid
from typing import Annotated

from fastapi import APIRouter

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute
from veteran_care.kit.clock import today
from veteran_care.scheduling import visits
from veteran_care.scheduling.router import session_read
from veteran_care.scheduling.sessions import ensure_not_past
from veteran_care.scheduling.visit_schemas import VisitCreate, VisitRead

router = APIRouter(route_class=IdempotentRoute, tags=["venues"])

Writer = Annotated[Actor, allow(Permission.scheduling_write)]


@router.post(
    "/venues/{venue_id:uuid}/visits",
    summary="Plan a facility's visiting team at a venue: a session per specialty, held there",
    description=(
        "Like `POST /sessions/generate`, a batch of sessions: 200 with the sessions made; 409 "
        "`duplicate` (and nothing made) when a service of the team already holds a session "
        "that half-day."
    ),
    responses=problem_responses(404, 409),
)
async def plan_visit(
    venue_id: uuid.UUID, data: VisitCreate, actor: Writer, session: WriteSession
) -> VisitRead:
    ensure_not_past(data.date, today())
    made = await visits.plan(session, actor, venue_id, data)
    return VisitRead(
        venue_id=venue_id,
        facility_id=data.facility_id,
        sessions=[session_read(s) for s in made],
    )
