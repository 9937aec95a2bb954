"""/api/v1/message-templates, /api/v1/messages and a person's messages.

Who: templates are read by schedulers and admins and changed by admins (`reference:write`,
like the other settings of the province's work); a person's messages, the queue and the
printed lists are `scheduling:read`, the people who book and follow the checks."""

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.kit.clock import utcnow
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.json_body import JsonBodyRoute
from veteran_care.kit.schemas import Instant
from veteran_care.messaging import service
from veteran_care.messaging.schemas import (
    MessageRead,
    Preview,
    PreviewRequest,
    QueueState,
    TemplateRead,
    TemplateUpdate,
)
from veteran_care.models import MessageKind

router = APIRouter(route_class=JsonBodyRoute, tags=["messages"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Admin = Annotated[Actor, allow(Permission.reference_write)]
IfMatch = Annotated[str | None, Header(max_length=200, description="ETag of your last read.")]
CSV_TYPE = "text/csv; charset=utf-8"


@router.get(
    "/message-templates",
    summary="The text of each kind of message, as sent now",
    responses=problem_responses(),
)
async def list_templates(actor: Reader, session: ReadSession) -> list[TemplateRead]:
    return await service.templates(session)


@router.get(
    "/message-templates/{kind}",
    summary="The text of one kind of message",
    responses=problem_responses(422) | sends_etag(),
)
async def get_template(
    kind: MessageKind, actor: Reader, session: ReadSession, response: Response
) -> TemplateRead:
    found = await service.template(session, kind)
    set_etag(response, found.version)
    return found


@router.put(
    "/message-templates/{kind}",
    summary="Save a new text for a kind of message (needs If-Match)",
    description=(
        'The built-in text has the ETag `"0"`. Placeholders other than the listed ones are '
        "refused (422). Try a text with `POST /message-template-previews` first: it shows the "
        "text as sent and its SMS length and parts."
    ),
    responses=problem_responses(412, 422, 428),
)
async def save_template(
    kind: MessageKind,
    data: TemplateUpdate,
    actor: Admin,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> TemplateRead:
    saved = await service.save_template(session, actor, kind, data.body, if_match)
    set_etag(response, saved.version)
    return saved


@router.post(
    "/message-template-previews",
    summary="A template filled with sample values, its SMS length and parts (nothing saved)",
    responses=problem_responses(422),
)
async def preview_template(data: PreviewRequest, actor: Reader, session: ReadSession) -> Preview:
    return await service.preview(session, data)


@router.get(
    "/beneficiaries/{beneficiary_id}/messages",
    summary="Every message about a person: status, attempts, the text as sent (newest first)",
    responses=problem_responses(404, 422),
)
async def person_messages(
    beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession
) -> list[MessageRead]:
    return await service.of_person(session, actor, beneficiary_id)


@router.get(
    "/messages/queue",
    summary="The outbox at a glance: due, retrying, sent, failed",
    responses=problem_responses(),
)
async def queue_state(actor: Reader, session: ReadSession) -> QueueState:
    return await service.queue_state(session)


@router.get(
    "/messages/printed",
    summary="A commune's printed list: the messages for people without a phone (CSV)",
    description=(
        "For the commune health station to print and hand out: each message since `since` "
        "(default: the last 7 days) to a person of the commune without a phone."
    ),
    response_class=Response,
    responses=problem_responses(422)
    | {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def printed_list(
    actor: Reader,
    session: WriteSession,
    commune_code: Annotated[str, Query(pattern="^[0-9]{5}$", description="The commune's code.")],
    since: Annotated[Instant | None, Query(description="From this moment (UTC).")] = None,
) -> Response:
    start = since or utcnow() - timedelta(days=7)
    body = await service.printed_list(session, actor, commune_code, start)
    return Response(
        body,
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="tin-nhan-{commune_code}.csv"'},
    )


@router.get(
    "/checkups/{checkup_id}/calendar.ics",
    summary="A checkup as a calendar file (iCalendar), for a phone or another system",
    response_class=Response,
    responses=problem_responses(404, 422)
    | {200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}},
)
async def checkup_calendar(checkup_id: uuid.UUID, actor: Reader, session: WriteSession) -> Response:
    body = await service.checkup_calendar(session, actor, checkup_id)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="lich-kham-{checkup_id}.ics"'},
    )
