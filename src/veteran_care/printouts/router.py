"""GET ... as ``application/pdf``: appointment slips, a session's day list, the health-check
form. In the language ``Accept-Language`` asks for (Vietnamese by default)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.kit.i18n import negotiate
from veteran_care.printouts import service

router = APIRouter(tags=["printouts"])

Scheduler = Annotated[Actor, allow(Permission.scheduling_read)]
Clinician = Annotated[Actor, allow(Permission.clinical_read)]

PDF = "application/pdf"
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The printout, as PDF (A4).",
        "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
    }
}
RESPONSES = problem_responses(404) | PDF_RESPONSE


def _language(request: Request) -> str:
    settings = request.app.state.settings
    return negotiate(request.headers.get("accept-language"), settings.default_language)


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type=PDF,
        headers={
            "Content-Disposition": f'inline; filename="{name}.pdf"',
            "Cache-Control": "no-store",
        },
    )


async def _slips(
    request: Request, actor: Actor, session: AsyncSession, name: str, **which: uuid.UUID
) -> Response:
    """The slips of one checkup, a session or a campaign (``which`` names it) as the response."""
    secret = request.app.state.settings.secret_key
    pdf = await service.slips_pdf(session, actor, secret, _language(request), **which)
    return _pdf(pdf, name)


@router.get(
    "/checkups/{checkup_id:uuid}/slip",
    summary="The appointment slip of a checkup (PDF, one A5 half of an A4 sheet)",
    description="With a QR code the check-in desk scans (`POST /check-in-scans`).",
    response_class=Response,
    responses=RESPONSES,
)
async def checkup_slip(
    checkup_id: uuid.UUID, request: Request, actor: Scheduler, session: WriteSession
) -> Response:
    return await _slips(request, actor, session, f"slip-{checkup_id}", checkup_id=checkup_id)


@router.get(
    "/sessions/{session_id:uuid}/slips",
    summary="The appointment slips of everyone booked in a session (PDF, two per A4 sheet)",
    response_class=Response,
    responses=RESPONSES,
)
async def session_slips(
    session_id: uuid.UUID, request: Request, actor: Scheduler, session: WriteSession
) -> Response:
    name = f"slips-session-{session_id}"
    return await _slips(request, actor, session, name, session_id=session_id)


@router.get(
    "/campaigns/{campaign_id:uuid}/slips",
    summary="The appointment slips of a campaign's checkups in your facilities (PDF)",
    response_class=Response,
    responses=RESPONSES,
)
async def campaign_slips(
    campaign_id: uuid.UUID, request: Request, actor: Scheduler, session: WriteSession
) -> Response:
    name = f"slips-campaign-{campaign_id}"
    return await _slips(request, actor, session, name, campaign_id=campaign_id)


@router.get(
    "/sessions/{session_id:uuid}/day-list",
    summary="The day list of a session: everyone booked, with a column to sign (PDF, A4)",
    description="Phones are masked for roles that do not see identifiers.",
    response_class=Response,
    responses=RESPONSES,
)
async def session_day_list(
    session_id: uuid.UUID, request: Request, actor: Scheduler, session: WriteSession
) -> Response:
    pdf = await service.day_list_pdf(session, actor, _language(request), session_id)
    return _pdf(pdf, f"day-list-{session_id}")


@router.get(
    "/checkups/{checkup_id:uuid}/health-check-form",
    summary="The periodic health-check form of a checkup, pre-filled (PDF, Circular 32/2023)",
    description=(
        "The person, their card and categories, the last measurements and health class on "
        "record; the sections each specialty fills by hand."
    ),
    response_class=Response,
    responses=RESPONSES,
)
async def health_check_form(
    checkup_id: uuid.UUID, request: Request, actor: Clinician, session: WriteSession
) -> Response:
    pdf = await service.health_form_pdf(session, actor, _language(request), checkup_id)
    return _pdf(pdf, f"health-check-form-{checkup_id}")
