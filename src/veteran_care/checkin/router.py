"""POST /api/v1/check-in-scans: what a desk's QR scanner read."""

from typing import Annotated

from fastapi import APIRouter, Request

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.checkin import service
from veteran_care.checkin.schemas import CheckInScan, CheckInScanResult
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.kit.json_body import JsonBodyRoute

router = APIRouter(route_class=JsonBodyRoute, tags=["checkups"])

Desk = Annotated[Actor, allow(Permission.scheduling_read)]


@router.post(
    "/check-in-scans",
    summary="Scan an appointment slip's QR code or a CCCD at the desk: the person and today's "
    "checkups",
    description=(
        "Nothing is changed: check in with `POST /checkups/{id}/check-in`. 409 "
        "`other-facility` (with `facility_name` and `checkup_date`), `not-today` (with "
        "`checkup_date`), `checkup-cancelled`, `no-checkup-today`; 404 `not-registered` (a CCCD "
        "nobody has); 422 `unreadable-slip-code` (a code this server did not sign), "
        "`unreadable-scan`; 403 `outside-your-facilities`."
    ),
    responses=problem_responses(403, 404, 409, 422),
)
async def scan_for_check_in(
    data: CheckInScan, request: Request, actor: Desk, session: WriteSession
) -> CheckInScanResult:
    secret = request.app.state.settings.secret_key
    return await service.scan(session, actor, secret, data.text, data.facility_id)
