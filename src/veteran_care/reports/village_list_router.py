"""/api/v1/worklist/village-list: a commune's or village's worklist as a file (decision 0053)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.kit.i18n import negotiate
from veteran_care.reports import village_list as files
from veteran_care.reports.exports import XLSX_TYPE
from veteran_care.scheduling.campaign_schemas import CategoryCode, CommuneCode
from veteran_care.scheduling.due import DueFilters
from veteran_care.scheduling.worklist_queries import WorklistFilters
from veteran_care.scheduling.worklist_schemas import VillageQuery

router = APIRouter(tags=["worklist"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
PDF = "application/pdf"
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The list as XLSX or PDF (A4 landscape).",
        "content": {
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            PDF: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.get(
    "/worklist/village-list",
    summary="A commune's or village's worklist for the commune health worker (XLSX or PDF)",
    description="In the language `Accept-Language` asks for (Vietnamese by default).",
    response_class=Response,
    responses=problem_responses() | FILE_RESPONSES,
)
async def village_list(
    request: Request,
    actor: Reader,
    session: WriteSession,
    commune_code: Annotated[CommuneCode, Query()],
    village: VillageQuery = None,
    category: Annotated[list[CategoryCode] | None, Query(max_length=10)] = None,
    format: Literal["xlsx", "pdf"] = "pdf",
) -> Response:
    settings = request.app.state.settings
    language = negotiate(request.headers.get("accept-language"), settings.default_language)
    principal = actor.require()
    due = DueFilters(
        commune_codes=[commune_code],
        categories=category or (),
        scope=principal.scope,
        provinces=principal.province_codes,
    )
    found = await files.gather(
        session, actor, WorklistFilters(due=due, village=village), commune_code
    )
    if format == "xlsx":
        document = files.xlsx(found, language)
        content, media_type = document.content, XLSX_TYPE
    else:
        content, media_type = files.pdf(found, language), PDF
    assert isinstance(content, bytes)
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="worklist-{commune_code}.{format}"',
            "Cache-Control": "no-store",
        },
    )
