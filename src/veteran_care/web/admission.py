"""Admission (decision 0018): a worker works on at most ``max_active_requests`` requests at once;
the others wait their turn, first come first served, and get a 503 after
``admission_wait_seconds``. A request holds a place from the moment it can be worked on (at once
without a body; once its body has arrived otherwise, so a slow upload waits outside) until its
response starts. Health, metrics and documentation paths are never held back."""

import asyncio
from collections.abc import Iterable

from fastapi import Request
from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veteran_care.errors import edge_problem
from veteran_care.kit.asgi import body_framing, route_path

RETRY_AFTER_SECONDS = 1
_BUSY_DETAIL = "The server is at its limit of concurrent requests; retry shortly."


class _Busy(Exception):
    """Raised from ``receive`` when the wait for a place ran out. The app's answer is dropped."""


class AdmissionMiddleware(Collector):
    """The limit, its FIFO queue, and the gauges of both (a Prometheus collector)."""

    def __init__(
        self, app: ASGIApp, limit: int, wait_seconds: float, free_paths: Iterable[str]
    ) -> None:
        self.app = app
        self.wait_seconds = wait_seconds
        self.free_paths = frozenset(free_paths)
        self._places = asyncio.Semaphore(limit)  # FIFO: a release wakes the oldest waiter
        self._active = 0
        self._waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_path(scope) in self.free_paths:
            await self.app(scope, receive, send)
            return
        admitted = refused = started = False

        async def admit() -> None:
            nonlocal admitted, refused
            if not await self._take_place():
                refused = True
                raise _Busy
            admitted = True

        def leave() -> None:
            nonlocal admitted
            if admitted:
                admitted = False
                self._active -= 1
                self._places.release()

        declared, open_length = body_framing(scope)
        app_receive = receive
        if open_length or declared:

            async def receive_then_admit() -> Message:
                message = await receive()
                if (
                    not (admitted or refused)
                    and message["type"] == "http.request"
                    and not message.get("more_body", False)
                ):
                    await admit()
                return message

            app_receive = receive_then_admit
        elif not await self._take_place():
            await self._busy(scope, receive, send)
            return
        else:
            admitted = True

        async def send_and_leave(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # whatever the app answers to a body it was refused to read
            if message["type"] == "http.response.start":
                started = True
                leave()  # the answer is decided: a streamed body goes on outside the limit
            await send(message)

        try:
            await self.app(scope, app_receive, send_and_leave)
        except Exception:
            if not refused or started:
                raise
        finally:
            leave()
        if refused and not started:
            await self._busy(scope, receive, send)

    async def _take_place(self) -> bool:
        """A place at once, or in turn within ``wait_seconds``; False when none came."""
        places = self._places
        if not places.locked():
            await places.acquire()  # returns without yielding: a place is free
        else:
            self._waiting += 1
            try:
                async with asyncio.timeout(self.wait_seconds):
                    await places.acquire()
            except TimeoutError:
                return False
            finally:
                self._waiting -= 1
        self._active += 1
        return True

    async def _busy(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = edge_problem(
            Request(scope),
            503,
            "busy",
            _BUSY_DETAIL,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        await response(scope, receive, send)

    def collect(self) -> list[Metric]:
        active = GaugeMetricFamily(
            "veteran_care_requests_active",
            "Requests this worker is working on (at most VETERAN_CARE_MAX_ACTIVE_REQUESTS).",
            value=self._active,
        )
        waiting = GaugeMetricFamily(
            "veteran_care_requests_waiting",
            "Requests waiting for their turn (503 after VETERAN_CARE_ADMISSION_WAIT_SECONDS).",
            value=self._waiting,
        )
        return [active, waiting]
