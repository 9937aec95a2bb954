"""The body limit (413, declared or streamed) and admission (decision 0018: at most ``limit``
requests at once, the rest first come first served, 503 after ``wait_seconds``). A body is read
whole before the request takes its place (a slow upload waits outside, and the app never sees a
body over the limit); a place is held until the response starts; free paths are never held."""

import asyncio
from collections.abc import Iterable

from fastapi import Request
from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veteran_care.errors import edge_problem
from veteran_care.i18n.problems import BUSY, too_large
from veteran_care.web.edge import route_path

_ACTIVE = "Requests this worker is working on (at most VETERAN_CARE_MAX_ACTIVE_REQUESTS)."
_WAITING = "Requests waiting for their turn (503 after VETERAN_CARE_ADMISSION_WAIT_SECONDS)."


class _TooLarge(Exception):
    pass


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read, as one message; then the server's own ``receive`` (a disconnect)."""
    first: Message | None = {"type": "http.request", "body": body, "more_body": False}

    async def replay() -> Message:
        nonlocal first
        message, first = first, None
        return message if message is not None else await receive()

    return replay


class IntakeMiddleware(Collector):
    """The two limits, the admission queue and its gauges (a Prometheus collector)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        limit: int = 0,
        wait_seconds: float = 0.0,
        free_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.wait_seconds = wait_seconds
        self.free_paths = frozenset(free_paths)
        self._places = asyncio.Semaphore(limit) if limit else None  # FIFO wake-ups
        self._active = self._waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            body = await self._read_body(scope, receive)
        except _TooLarge:
            return await self._refuse(413, scope, receive, send)
        if body is None:  # the client left
            return None
        receive = _replay(body, receive)
        if self._places is None or route_path(scope) in self.free_paths:
            return await self.app(scope, receive, send)
        if not await self._take_place():
            return await self._refuse(503, scope, receive, send)
        admitted = True

        async def leave_at_start(message: Message) -> None:
            nonlocal admitted
            if admitted and message["type"] == "http.response.start":
                admitted = self._leave()  # a streamed body goes on outside the limit
            await send(message)

        try:
            await self.app(scope, receive, leave_at_start)
        finally:
            if admitted:
                self._leave()

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body (None if the client left); ``_TooLarge`` past the limit, declared or
        counted (a chunked body, an HTTP/2 one or an unreadable length)."""
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _TooLarge
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                raise _TooLarge
            if not message.get("more_body", False):
                return bytes(body)

    async def _take_place(self) -> bool:
        """A place within ``wait_seconds``, in turn; False when none came."""
        assert self._places is not None
        self._waiting += 1
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._places.acquire()
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1
        self._active += 1
        return True

    def _leave(self) -> bool:
        assert self._places is not None
        self._active -= 1
        self._places.release()
        return False

    async def _refuse(self, status: int, scope: Scope, receive: Receive, send: Send) -> None:
        # a 413 leaves the body unread: the connection cannot be reused
        detail, code, headers = (
            (too_large(self.max_body_bytes), "payload-too-large", {"Connection": "close"})
            if status == 413
            else (BUSY, "busy", {"Retry-After": "1"})
        )
        response = edge_problem(Request(scope), status, code, detail, headers=headers)
        await response(scope, receive, send)

    def collect(self) -> list[Metric]:
        return [
            GaugeMetricFamily("veteran_care_requests_active", _ACTIVE, value=self._active),
            GaugeMetricFamily("veteran_care_requests_waiting", _WAITING, value=self._waiting),
        ]
