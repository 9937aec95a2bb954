"""/api/v1/audit-events: the trail, for auditors (JSON pages or a CSV export)."""

import base64
import binascii
import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.audit import repository, service
from veteran_care.audit.schemas import AuditEventRead, AuditPage
from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery
from veteran_care.kit.schemas import Instant

router = APIRouter(prefix="/audit-events", tags=["audit"])

Auditor = Annotated[Actor, allow(Permission.audit_read)]
Word = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_:-]+$")]

CSV_COLUMNS = list(AuditEventRead.model_fields)


def _cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def _before_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        value = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("The cursor is not valid; use `next_cursor` as given.") from exc
    if value < 1:
        raise InvalidCursor("The cursor is not valid; use `next_cursor` as given.")
    return value


@router.get(
    "",
    response_model=AuditPage,
    summary="Search the audit trail (newest first), or export it as CSV",
    description="`format=csv` streams every matching event as CSV (the export is itself audited).",
    responses=problem_responses(403)
    | {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def list_audit_events(
    request: Request,
    actor: Auditor,
    session: WriteSession,
    actor_id: uuid.UUID | None = None,
    beneficiary_id: uuid.UUID | None = None,
    resource_type: Word = None,
    resource_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9-]+$")] = None,
    action: Word = None,
    occurred_from: Instant | None = None,
    occurred_to: Instant | None = None,
    format: Literal["json", "csv"] = "json",
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Any:
    filters = repository.AuditFilters(
        actor_id=actor_id,
        beneficiary_id=beneficiary_id,
        resource_type=resource_type,
        resource_id=resource_id,
        action=action,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    if format == "csv":
        await service.record(session, actor, "export", resource_type="audit_event")
        return _csv(request.app.state.sessionmaker, filters)
    rows = await repository.page(session, filters, before_id=_before_id(cursor), limit=limit)
    await service.record(session, actor, "read", resource_type="audit_event")
    items = rows[:limit]
    next_cursor = _cursor(items[-1].id) if len(rows) > limit and items else None
    return AuditPage(
        items=[AuditEventRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


def _csv(
    sessionmaker: async_sessionmaker[AsyncSession], filters: repository.AuditFilters
) -> StreamingResponse:
    """Stream the export from its own session: the request's session is committed and closed
    before the body is sent."""

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        async with sessionmaker() as session:
            async for event in repository.stream(session, filters):
                read = AuditEventRead.model_validate(event).model_dump(mode="json")
                writer.writerow([",".join(v) if isinstance(v, list) else v for v in read.values()])
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-events-{stamp}.csv"'},
    )
