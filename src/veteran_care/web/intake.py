"""What a request must pass before the app works on it: the body limit (413, whether the body's
length is declared or streamed) and admission (decision 0018: at most ``limit`` requests worked
on at once, the rest in turn, first come first served, a 503 after ``wait_seconds``).

A request with a body takes its place once the body has arrived, so a slow upload waits
outside; a place is held until the response starts. Free paths (health, metrics, the docs) are
never held back. When a request is refused half-way, whatever the app answers is dropped."""

import asyncio
from collections.abc import Iterable

from fastapi import Request
from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veteran_care.errors import edge_problem
from veteran_care.i18n.problems import BUSY, too_large
from veteran_care.web.edge import route_path

# HTTP/1 servers read no more than the declared length: only an open length needs counting.
_FRAMED_BY_LENGTH = frozenset({"1.0", "1.1"})


class _Refused(HTTPException):
    """Raised from ``receive`` once the request is refused (an app's error handlers answer it;
    that answer is dropped)."""


def body_framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared ``Content-Length`` (``None`` if absent), and whether the body's length is
    open: a ``Transfer-Encoding``, or a ``Content-Length`` that is not a number."""
    declared, open_length = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                open_length = True
        elif name == b"transfer-encoding":
            open_length = True
    return declared, open_length


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
        declared, open_length = body_framing(scope)
        if declared is not None and declared > self.max_body_bytes:
            return await self._refuse(413, scope, receive, send)
        limited = self._places is not None and route_path(scope) not in self.free_paths
        has_body = open_length or bool(declared)
        counted = open_length or scope.get("http_version") not in _FRAMED_BY_LENGTH
        if not (limited or counted):
            return await self.app(scope, receive, send)
        admitted = limited and not has_body
        if admitted and not await self._take_place():
            return await self._refuse(503, scope, receive, send)
        refusal, started, received = 0, False, 0

        async def intake_receive() -> Message:
            nonlocal refusal, admitted, received
            if refusal:
                raise _Refused(refusal)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    refusal = 413
                elif limited and not admitted and not message.get("more_body", False):
                    admitted = await self._take_place()
                    refusal = 0 if admitted else 503
                if refusal:
                    raise _Refused(refusal)
            return message

        async def intake_send(message: Message) -> None:
            nonlocal started, admitted
            if refusal and not started:
                return
            if message["type"] == "http.response.start":
                started = True
                admitted = self._leave(admitted)  # a streamed body goes on outside the limit
            await send(message)

        failure: Exception | None = None
        try:
            await self.app(scope, intake_receive, intake_send)
        except Exception as exc:
            if not refusal or started:
                raise
            failure = None if _caused_by_refusal(exc) else exc
        finally:
            admitted = self._leave(admitted)
        if refusal and not started:
            await self._refuse(refusal, scope, receive, send)
        if failure is not None:
            raise failure

    async def _take_place(self) -> bool:
        """A place at once, or in turn within ``wait_seconds``; False when none came."""
        assert self._places is not None
        if self._places.locked():
            self._waiting += 1
            try:
                async with asyncio.timeout(self.wait_seconds):
                    await self._places.acquire()
            except TimeoutError:
                return False
            finally:
                self._waiting -= 1
        else:
            await self._places.acquire()  # returns without yielding: a place is free
        self._active += 1
        return True

    def _leave(self, admitted: bool) -> bool:
        if admitted and self._places is not None:
            self._active -= 1
            self._places.release()
        return False

    async def _refuse(self, status: int, scope: Scope, receive: Receive, send: Send) -> None:
        # 413: the rest of the body is not read, so the connection cannot be reused.
        detail, code, headers = (
            (too_large(self.max_body_bytes), "payload-too-large", {"Connection": "close"})
            if status == 413
            else (BUSY, "busy", {"Retry-After": "1"})
        )
        response = edge_problem(Request(scope), status, code, detail, headers=headers)
        await response(scope, receive, send)

    def collect(self) -> list[Metric]:
        return [
            GaugeMetricFamily(
                "veteran_care_requests_active",
                "Requests this worker is working on (at most VETERAN_CARE_MAX_ACTIVE_REQUESTS).",
                value=self._active,
            ),
            GaugeMetricFamily(
                "veteran_care_requests_waiting",
                "Requests waiting for their turn (503 after VETERAN_CARE_ADMISSION_WAIT_SECONDS).",
                value=self._waiting,
            ),
        ]


def _caused_by_refusal(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(_Refused)[1] is None
    return isinstance(exc, _Refused)
