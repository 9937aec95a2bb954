"""/api/v1/worklist and /beneficiaries/{id}/contact-attempts: the due list as staff work
through it (decision 0053)."""

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.clock import today
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.kit.text import mask
from veteran_care.scheduling import worklist
from veteran_care.scheduling.campaign_schemas import CategoryCode, CommuneCode
from veteran_care.scheduling.due import DueFilters
from veteran_care.scheduling.worklist_queries import WorklistFilters, worklist_page
from veteran_care.scheduling.worklist_schemas import (
    ContactAttemptCreate,
    ContactAttemptRead,
    LastAttempt,
    VillageQuery,
    WorklistEntry,
    WorklistOutcome,
)

router = APIRouter(route_class=IdempotentRoute, tags=["worklist"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.scheduling_write)]


@router.post(
    "/beneficiaries/{beneficiary_id:uuid}/contact-attempts",
    status_code=status.HTTP_201_CREATED,
    summary="Record an attempt to reach a person on the due list, and what came of it",
    description=(
        "`will_come` books a checkup (`booking`, as `POST /checkups`) or links one already "
        "booked (`checkup_id`); `call_later` hides the person from the worklist until "
        "`call_back_on`; `moved_away` and `deceased` (with `date_of_death`) change the "
        "registry by its rules, audited with the attempt; `wrong_number`, `refuses` and "
        "`no_answer` leave the person on the list."
    ),
    responses=problem_responses(404, 409),
)
async def record_contact_attempt(
    beneficiary_id: uuid.UUID,
    data: ContactAttemptCreate,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> ContactAttemptRead:
    attempt = await worklist.record(session, actor, beneficiary_id, data)
    response.headers["Location"] = (
        f"/api/v1/beneficiaries/{beneficiary_id}/contact-attempts/{attempt.id}"
    )
    return ContactAttemptRead.model_validate(attempt)


@router.get(
    "/beneficiaries/{beneficiary_id:uuid}/contact-attempts/{attempt_id:uuid}",
    summary="Read one attempt to reach a person",
    responses=problem_responses(404),
)
async def get_contact_attempt(
    beneficiary_id: uuid.UUID, attempt_id: uuid.UUID, actor: Reader, session: WriteSession
) -> ContactAttemptRead:
    found = await worklist.get_attempt(session, actor, beneficiary_id, attempt_id)
    return ContactAttemptRead.model_validate(found)


@router.get(
    "/beneficiaries/{beneficiary_id:uuid}/contact-attempts",
    summary="The attempts to reach a person, latest first",
    responses=problem_responses(404),
)
async def list_contact_attempts(
    beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession
) -> Page[ContactAttemptRead]:
    found = await worklist.attempts(session, actor, beneficiary_id)
    return Page(items=[ContactAttemptRead.model_validate(a) for a in found], next_cursor=None)


def _filters(
    actor: Actor,
    commune_code: Sequence[str] | None,
    category: Sequence[str] | None,
    village: str | None,
    outcome: Sequence[str] | None,
) -> WorklistFilters:
    principal = actor.require()
    due = DueFilters(
        commune_codes=commune_code or (),
        categories=category or (),
        scope=principal.scope,
        provinces=principal.province_codes,
    )
    return WorklistFilters(due=due, village=village, outcomes=outcome or ())


def _last(row: Any) -> LastAttempt | None:
    if row.attempt_id is None:
        return None
    return LastAttempt(
        id=row.attempt_id,
        attempted_at=row.attempted_at,
        attempted_by=row.attempted_by,
        channel=row.channel,
        outcome=row.outcome,
        call_back_on=row.call_back_on,
        note=row.note,
    )


@router.get(
    "/worklist",
    summary="The due list as staff work through it: each person with the last attempt",
    description=(
        "The due list (`GET /due-list`'s rules) with each person's last contact attempt; a "
        "person asked to be called later is left out until that day. `village`: words of the "
        "address line; `outcome`: of the last attempt, or `not_contacted`."
    ),
    responses=problem_responses(),
)
async def get_worklist(
    actor: Reader,
    session: WriteSession,
    commune_code: Annotated[list[CommuneCode] | None, Query(max_length=100)] = None,
    category: Annotated[list[CategoryCode] | None, Query(max_length=10)] = None,
    village: VillageQuery = None,
    outcome: Annotated[list[WorklistOutcome] | None, Query(max_length=8)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[WorklistEntry]:
    filters = _filters(actor, commune_code, category, village, outcome)
    rows, next_cursor = await worklist_page(session, today(), filters, cursor=cursor, limit=limit)
    await audit.record(session, actor, "search", resource_type="worklist", detail=f"{len(rows)}")
    shown = actor.require().sees_identifiers
    return Page(
        items=[
            WorklistEntry(
                beneficiary_id=r.id,
                full_name=r.full_name,
                birth_year=r.birth_year,
                phone=r.phone if shown else mask(r.phone),
                commune_code=r.commune_code,
                address_line=r.address_line,
                last_checked_on=r.last_checked_on,
                overdue=bool(r.overdue),
                last_attempt=_last(r),
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )
