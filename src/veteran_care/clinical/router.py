"""/api/v1: results of examinations, checkup conclusions, the health timeline."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.clinical import service, timeline
from veteran_care.clinical.schemas import (
    ConclusionIn,
    ConclusionRead,
    ResultAmend,
    ResultCreate,
    ResultRead,
    Retract,
    Timeline,
)
from veteran_care.clinical.views import result_read
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.models import ExaminationResult

router = APIRouter(route_class=IdempotentRoute, tags=["results"])

Reader = Annotated[Actor, allow(Permission.clinical_read)]
Writer = Annotated[Actor, allow(Permission.clinical_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.clinical_write)]
IfMatch = Annotated[str | None, Header(max_length=200, description="ETag of your last read.")]


async def _read(session: WriteSession, result: ExaminationResult) -> ResultRead:
    return result_read(result, await service.amendments(session, result.id))


@router.post(
    "/appointments/{appointment_id:uuid}/result",
    status_code=status.HTTP_201_CREATED,
    summary="Record what an examination found (fulfils the appointment)",
    description=(
        "Vitals outside plausible ranges (a systolic of 900) are refused with the field named; "
        "diagnoses are ICD-10 (WHO) codes, exactly one of them principal."
    ),
    responses=problem_responses(404, 409),
)
async def record_result(
    appointment_id: uuid.UUID,
    data: ResultCreate,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> ResultRead:
    result = await service.record(session, actor, appointment_id, data)
    set_etag(response, result.version)
    response.headers["Location"] = f"/api/v1/appointments/{appointment_id}/result"
    return await _read(session, result)


@router.get(
    "/appointments/{appointment_id:uuid}/result",
    summary="Read an examination's result, with its amendments",
    responses=problem_responses(404) | sends_etag(),
)
async def get_result(
    appointment_id: uuid.UUID, actor: Reader, session: WriteSession, response: Response
) -> ResultRead:
    result = await service.get(session, actor, appointment_id)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="result",
        resource_id=result.id,
        beneficiary_id=result.beneficiary_id,
    )
    set_etag(response, result.version)
    return await _read(session, result)


@router.patch(
    "/appointments/{appointment_id:uuid}/result",
    summary="Amend a result: the previous values are kept with who, when and why (If-Match)",
    responses=problem_responses(404, 409, 412, 428),
)
async def amend_result(
    appointment_id: uuid.UUID,
    data: ResultAmend,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> ResultRead:
    result = await service.amend(session, actor, appointment_id, data, if_match)
    set_etag(response, result.version)
    return await _read(session, result)


@router.post(
    "/appointments/{appointment_id:uuid}/result/entered-in-error",
    summary="Mark a result as entered in error (a status, not a delete)",
    responses=problem_responses(404, 409),
)
async def retract_result(
    appointment_id: uuid.UUID, data: Retract, actor: Writer, session: WriteSession
) -> ResultRead:
    result = await service.retract(session, actor, appointment_id, data.reason)
    return await _read(session, result)


@router.put(
    "/checkups/{checkup_id:uuid}/conclusion",
    summary="Conclude a checkup: health class I-V, conclusion, recommendations, follow-up",
    description="Replacing an existing conclusion needs If-Match.",
    responses=problem_responses(404, 409, 412, 428),
)
async def conclude_checkup(
    checkup_id: uuid.UUID,
    data: ConclusionIn,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> ConclusionRead:
    conclusion = await service.conclude(session, actor, checkup_id, data, if_match)
    set_etag(response, conclusion.version)
    return ConclusionRead.model_validate(conclusion)


@router.get(
    "/checkups/{checkup_id:uuid}/conclusion",
    summary="Read a checkup's conclusion",
    responses=problem_responses(404) | sends_etag(),
)
async def get_conclusion(
    checkup_id: uuid.UUID, actor: Reader, session: WriteSession, response: Response
) -> ConclusionRead:
    conclusion = await service.get_conclusion(session, actor, checkup_id)
    set_etag(response, conclusion.version)
    return ConclusionRead.model_validate(conclusion)


@router.get(
    "/beneficiaries/{beneficiary_id:uuid}/health-timeline",
    summary="A beneficiary's checkups with results, classification over the years, vitals",
    responses=problem_responses(404),
)
async def health_timeline(
    beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession
) -> Timeline:
    return await timeline.timeline(session, actor, beneficiary_id)
