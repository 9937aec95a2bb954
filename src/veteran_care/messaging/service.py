"""The messaging API's work: templates (read, save, preview), a person's messages, the queue,
the printed list of a commune."""

import csv
import io
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.errors import NotFound
from veteran_care.kit.clock import utcnow
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.kit.validation import InvalidInput
from veteran_care.messaging import calendar, repository, texts
from veteran_care.messaging.schemas import (
    AttemptRead,
    MessageRead,
    Preview,
    PreviewRequest,
    QueueState,
    SmsCost,
    TemplateRead,
)
from veteran_care.models import MessageKind, MessageTemplate


def _read(kind: MessageKind, saved: MessageTemplate | None) -> TemplateRead:
    return TemplateRead(
        kind=kind,
        body=saved.body if saved else texts.DEFAULTS[kind],
        built_in=saved is None,
        placeholders=texts.PLACEHOLDERS,
        version=saved.version if saved else 0,
    )


async def templates(session: AsyncSession) -> list[TemplateRead]:
    return [await template(session, kind) for kind in MessageKind]


async def template(session: AsyncSession, kind: MessageKind) -> TemplateRead:
    return _read(kind, await session.get(MessageTemplate, kind))


def _checked(body: str) -> str:
    try:
        unknown = texts.unknown_placeholders(body)
    except ValueError as exc:
        raise InvalidInput(
            "body.body",
            Message("not a template: {reason}", reason=str(exc)),
            error_type="template_syntax",
        ) from exc
    if unknown:
        known = ", ".join("{" + name + "}" for name in texts.PLACEHOLDERS)
        raise InvalidInput(
            "body.body",
            Message(
                "unknown placeholder(s) {unknown}; use {known}",
                unknown=", ".join("{" + u + "}" for u in unknown),
                known=known,
            ),
            error_type="template_placeholder",
        )
    return body


async def save_template(
    session: AsyncSession, actor: Actor, kind: MessageKind, body: str, if_match: str | None
) -> TemplateRead:
    saved = await session.get(MessageTemplate, kind)
    check_if_match(if_match, saved.version if saved else 0)
    body = _checked(body)
    if saved is None:
        saved = MessageTemplate(kind=kind, body=body, updated_by=actor.require().account_id)
        session.add(saved)
    else:
        saved.body, saved.updated_by = body, actor.require().account_id
    await session.flush()
    await audit.record(
        session, actor, "update", resource_type="message_template", changed_fields=["body"]
    )
    return _read(kind, saved)


async def preview(session: AsyncSession, data: PreviewRequest) -> Preview:
    body = (
        _checked(data.body) if data.body is not None else (await template(session, data.kind)).body
    )
    text = texts.render(body, texts.SAMPLE)
    plain = texts.without_diacritics(text)
    return Preview(
        text=text,
        sms=SmsCost.model_validate(texts.sms_size(text)),
        text_without_diacritics=plain,
        sms_without_diacritics=SmsCost.model_validate(texts.sms_size(plain)),
    )


async def of_person(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID
) -> list[MessageRead]:
    await beneficiaries.get(session, beneficiary_id, actor)
    messages, tries = await repository.of_person(session, beneficiary_id)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="messages",
        resource_id=beneficiary_id,
        beneficiary_id=beneficiary_id,
    )
    return [
        MessageRead.model_validate(
            {
                **{c: getattr(m, c) for c in MessageRead.model_fields if c != "tries"},
                "tries": [AttemptRead.model_validate(t) for t in tries[m.id]],
            }
        )
        for m in messages
    ]


async def queue_state(session: AsyncSession) -> QueueState:
    return QueueState.model_validate(await repository.counts(session, utcnow()))


CSV_HEADER = ["Ngày ghi", "Loại tin", "Người nhận", "Ngày khám", "Nội dung"]
KIND_NAMES = {
    MessageKind.confirmation: "Xác nhận lịch khám",
    MessageKind.reminder_early: "Nhắc lịch (lần 1)",
    MessageKind.reminder_late: "Nhắc lịch (lần 2)",
    MessageKind.cancellation: "Hủy lịch khám",
    MessageKind.session_cancelled: "Buổi khám bị hủy",
    MessageKind.rescheduled: "Đổi lịch khám",
}


async def printed_list(
    session: AsyncSession, actor: Actor, commune_code: str, since: datetime
) -> str:
    """The commune's printed list as CSV (UTF-8 with a BOM, so that Excel reads Vietnamese),
    days written dd/mm/yyyy as the commune's officers write them."""
    rows = await repository.printed(session, commune_code, since)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            [
                f"{row.created_at:%d/%m/%Y}",
                KIND_NAMES[row.kind],
                row.recipient_name,
                f"{row.date:%d/%m/%Y}",
                row.body,
            ]
        )
    await audit.record(
        session, actor, "export", resource_type="printed_messages", detail=commune_code
    )
    return out.getvalue()


async def checkup_calendar(session: AsyncSession, actor: Actor, checkup_id: uuid.UUID) -> bytes:
    found = await repository.checkup_with_place(session, checkup_id)
    if found is None or not actor.require().in_scope(found[0].facility_id):
        raise NotFound(Message("Checkup {checkup_id} was not found.", checkup_id=checkup_id))
    checkup, facility_name, address = found
    await audit.record(
        session,
        actor,
        "read",
        resource_type="checkup",
        resource_id=checkup.id,
        beneficiary_id=checkup.beneficiary_id,
        detail="calendar file",
    )
    return calendar.checkup_ics(checkup, facility_name, address)
