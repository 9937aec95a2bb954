"""/api/v1/beneficiaries/{id}/past-checks: the checks a person had before go-live.

Who: recording (and withdrawing) is `registry:write`, the schedulers and admins who register
people and import the province's lists at go-live, typing in paper records; reading is
`scheduling:read` (admins, schedulers, clinicians): the people who plan the next check and
treat, not the department's reporters, who see no clinical detail."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Response, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.clinical.schemas import Retract
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.history import service
from veteran_care.history.schemas import PastCheckCreate, PastCheckRead
from veteran_care.history.views import past_check_read
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.etag import sends_etag, set_etag

router = APIRouter(
    route_class=IdempotentRoute,
    prefix="/beneficiaries/{beneficiary_id}/past-checks",
    tags=["past-checks"],
)

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Writer = Annotated[Actor, allow(Permission.registry_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.registry_write)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a periodic check done before go-live (historical)",
    description=(
        "From a paper record: the day (not in the future, not before the person's birth), "
        "where (`facility_id` or `place`), the health class I-V, optional vitals and ICD-10 "
        "diagnoses. Counted as the person's last check by the due list and the coverage "
        "report, never in attendance figures. One per person and day: 409 `duplicate` with "
        "`existing_id` (withdraw it first to replace it). 422 `unknown-facility` for a "
        "`facility_id` of no facility."
    ),
    responses=problem_responses(404, 409, 422),
)
async def create_past_check(
    beneficiary_id: uuid.UUID,
    data: PastCheckCreate,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> PastCheckRead:
    check = await service.record(session, actor, beneficiary_id, data)
    set_etag(response, check.version)
    response.headers["Location"] = f"/api/v1/beneficiaries/{beneficiary_id}/past-checks/{check.id}"
    return past_check_read(check)


@router.get(
    "",
    summary="List a person's past checks (newest first, withdrawn ones marked)",
    responses=problem_responses(404),
)
async def list_past_checks(
    beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession
) -> list[PastCheckRead]:
    return [past_check_read(c) for c in await service.listing(session, actor, beneficiary_id)]


@router.get(
    "/{past_check_id}",
    summary="Read a past check",
    responses=problem_responses(404) | sends_etag(),
)
async def get_past_check(
    beneficiary_id: uuid.UUID,
    past_check_id: uuid.UUID,
    actor: Reader,
    session: WriteSession,
    response: Response,
) -> PastCheckRead:
    check = await service.read(session, actor, beneficiary_id, past_check_id)
    set_etag(response, check.version)
    return past_check_read(check)


@router.post(
    "/{past_check_id}/entered-in-error",
    summary="Mark a past check as entered in error (a status, not a delete)",
    description=(
        "It stops counting as the person's last check; the values stay for the record. To "
        "correct one, withdraw it and record the right one."
    ),
    responses=problem_responses(404, 409),
)
async def retract_past_check(
    beneficiary_id: uuid.UUID,
    past_check_id: uuid.UUID,
    data: Retract,
    actor: Writer,
    session: WriteSession,
) -> PastCheckRead:
    check = await service.retract(session, actor, beneficiary_id, past_check_id, data.reason)
    return past_check_read(check)
