"""The waiting hall's display: a page served by the app (plain HTML, a script and a style sheet
from this package: no build step, no CDN) that shows each specialty's current and next numbers
in large type, kept up to date by server-sent events. No names: numbers and specialties only,
so the page and its events need no login (decision 0044).

``GET /display/queue?facility=11001`` is the page; ``GET /display/queue/events?facility=...``
the stream: an event with the whole board whenever it changes (looked at when a call on this
worker wakes it, and at least every second, so calls made on other workers show too)."""

from collections.abc import AsyncIterator
from importlib.resources import files
from typing import Annotated, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from veteran_care.errors import NotFound
from veteran_care.kit.clock import today
from veteran_care.kit.i18n import Message
from veteran_care.queue import repository, service

PAGE_URL = "/display/queue"
EVENTS_URL = "/display/queue/events"
SCRIPT_URL = "/display/queue.js"
STYLE_URL = "/display/queue.css"
LOOK_EVERY_SECONDS = 1.0
HEARTBEAT_LOOKS = 15
# This server only, no inline script or style: the page's script and style are files.
POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    )
)
FacilityCode = Annotated[str, Query(pattern=r"^[0-9A-Za-z]{1,10}$", description="Its code.")]
# The hall's language is the server's (a screen's browser often says English), unless asked.
Language = Annotated[Literal["vi", "en"] | None, Query()]


def _static(name: str) -> str:
    return (files(__package__) / "static" / name).read_text(encoding="utf-8")


async def _board_json(request: Request, code: str, language: str) -> str:
    async with request.app.state.sessionmaker() as session:
        facility = await repository.facility_by_code(session, code)
        if facility is None:
            raise NotFound(Message("There is no facility with code {code}.", code=code))
        board = await service.board(session, facility, today(), language)
    return board.model_dump_json()


def install_display(app: FastAPI) -> frozenset[str]:
    """Add the page, its two files and its event stream; returns their paths (free of the
    admission limit: a display holds its stream open all day)."""

    async def page(request: Request, facility: FacilityCode, lang: Language = None) -> HTMLResponse:
        await _board_json(request, facility, "vi")  # a 404 for an unknown code, not a blank page
        language = lang or request.app.state.settings.default_language
        html = _static("queue.html").replace("{{facility}}", facility)
        html = html.replace("{{language}}", language)
        return HTMLResponse(html, headers={"Content-Security-Policy": POLICY})

    async def script() -> Response:
        return Response(_static("queue.js"), media_type="text/javascript")

    async def style() -> Response:
        return Response(_static("queue.css"), media_type="text/css")

    async def events(
        request: Request, facility: FacilityCode, lang: Language = None
    ) -> StreamingResponse:
        language = lang or request.app.state.settings.default_language
        first = await _board_json(request, facility, language)

        async def stream() -> AsyncIterator[str]:
            sent, quiet = first, 0
            yield f"data: {first}\n\n"
            while not await request.is_disconnected():
                await service.changes.wait_at_most(LOOK_EVERY_SECONDS)
                board = await _board_json(request, facility, language)
                if board != sent:
                    sent, quiet = board, 0
                    yield f"data: {board}\n\n"
                else:
                    quiet += 1
                    if quiet >= HEARTBEAT_LOOKS:
                        quiet = 0
                        yield ": still here\n\n"

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    app.add_api_route(PAGE_URL, page, include_in_schema=False)
    app.add_api_route(EVENTS_URL, events, include_in_schema=False)
    app.add_api_route(SCRIPT_URL, script, include_in_schema=False)
    app.add_api_route(STYLE_URL, style, include_in_schema=False)
    return frozenset((PAGE_URL, EVENTS_URL, SCRIPT_URL, STYLE_URL))
