"""The HTTP edge: request id, access log and metrics, security headers, CORS, body size limit.

Every layer is plain ASGI (``BaseHTTPMiddleware`` costs about 30% of throughput). They wrap the
whole stack Starlette builds, *including* ``ServerErrorMiddleware``, so that the 500 our
catch-all handler renders still carries the request id, the security and CORS headers, is
counted and logged, and the handler's own log line has the request id. Outermost first:

1. :class:`EdgeMiddleware`: the request id every log line and response of the request carries;
   the access log line and metrics (:class:`Accounting`), with the status that is really sent
   (including a 413 or a CORS answer that never reaches the app); the security headers on every
   response.
2. Starlette's ``CORSMiddleware``, only when origins are allowed: outside the body limit, so
   that a browser can read a 413.
3. :class:`BodyLimitMiddleware`.
4. ``admission.AdmissionMiddleware``, when a limit is set: inside the body limit, so that an
   oversized body is refused without waiting for a turn.

Logs and metrics name the route *template* (``/api/v1/beneficiaries/{beneficiary_id}``), never
the concrete path or the query string: those hold ids, names and national id numbers.
"""

import asyncio
import itertools
import logging
import math
import os
import re
import secrets
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Histogram,
    Metric,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veteran_care.admission import AdmissionMiddleware
from veteran_care.config import Settings
from veteran_care.errors import edge_problem
from veteran_care.kit.asgi import body_framing, route_path
from veteran_care.kit.request_context import request_id_var
from veteran_care.logs import AccessValues, access_record_handled, write_access_lines

access_logger = logging.getLogger("veteran_care.access")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)

_SECURITY_RAW = tuple(
    (n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in SECURITY_HEADERS
)
_NO_STORE = (b"cache-control", b"no-store")
_SECURITY_AND_NO_STORE = (*_SECURITY_RAW, _NO_STORE)
# A response that sets none of these gets the edge's headers appended as they are.
_EDGE_HEADER_NAMES = frozenset(
    {_REQUEST_ID_HEADER_KEY, _NO_STORE[0], *(n for n, _ in _SECURITY_RAW)}
)

CORS_METHODS = ["GET", "POST", "PATCH", "DELETE", "OPTIONS"]
CORS_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"]
CORS_EXPOSE_HEADERS = ["ETag", "Location", "X-Request-ID", "Retry-After", "Idempotent-Replayed"]

UNMATCHED_ROUTE = "<unmatched>"
# Any other method would let a client mint label values at will.
_METHOD_LABELS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

METRICS_MEDIA_TYPE = "text/plain; version=0.0.4"
# Never held back by the admission limit: a load balancer must see a busy worker as alive.
FREE_PATHS = ("/healthz", "/readyz", "/metrics")


def route_template(scope: Scope) -> str | None:
    """The template of the route that handled the request, once the router has run."""
    # FastAPI >= 0.137 keeps included routers as they are: ``scope["route"].path`` lacks the
    # include prefixes (fastapi#16051); the full template is on the effective route context.
    fastapi_scope = scope.get("fastapi")
    if isinstance(fastapi_scope, dict):
        template = getattr(fastapi_scope.get("effective_route_context"), "path_format", None)
        if isinstance(template, str) and template:
            return template
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else None


class _RequestIds:
    """32 hex digits: a random prefix per process and a counter.

    Unique without a system call per request (``os.urandom`` is one); a request id is echoed
    to the client and written to logs, so it needs to be unique, not secret. A forked child
    draws a prefix of its own.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


new_request_id = _RequestIds()
os.register_at_fork(after_in_child=new_request_id.reset)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER_KEY:
            candidate: str = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.fullmatch(candidate) else None
    return None


class Accounting(Collector):
    """What the edge keeps of the requests it answered: one access line each, and the request
    counts (by method, route template and status) and durations (by method and route) that
    ``/metrics`` shows.

    The edge hands over each answered request (:meth:`answered`): its scope, status, duration,
    request id and time, kept in a list. They are accounted for (:meth:`settle`) one after the
    other when the event loop's turn ends (``loop.call_soon``): the route template worked out,
    the metrics counted, the access line written. Done in turn, that code stays in the
    processor's caches, where between two requests' worth of other code it is not; in the
    request, the edge only appends a tuple (decision 0025).

    Accounted at once instead: at the 256th waiting request; when a scrape reads the metrics
    (it sees every request answered before it); when the lifespan ends; outside an asyncio
    loop; and under any logging setup but production's (``logs.access_record_handled``: a
    handler there, such as pytest's ``caplog``, expects the record in the request). Requests
    left by a loop that ended before its turn did (a test's) are accounted with the next
    turn's.

    The counts are kept in plain dicts and exposed through this custom collector at scrape
    time: the ``Counter``/``Histogram`` children take a lock and walk every bucket on each
    observation. Everything runs on the worker's event loop thread (the edge and ``/metrics``
    are async), so no lock is needed. The label values are bounded: known methods, route
    templates and statuses.
    """

    BUCKETS = Histogram.DEFAULT_BUCKETS  # ends with +Inf
    _BUCKET_NAMES = tuple("+Inf" if b == math.inf else repr(b) for b in BUCKETS)
    _MOST_WAITING = 256

    def __init__(
        self, static_paths: Iterable[str] = (), logger: logging.Logger = access_logger
    ) -> None:
        # Paths without parameters that are not API routes (the docs): safe to name as they are.
        self.static_paths = frozenset(static_paths)
        self.logger = logger
        # (scope, status, seconds, request id, time answered) of each request not yet accounted
        self._waiting: list[tuple[Scope, int, float, str, float]] = []
        self._settle_on: asyncio.AbstractEventLoop | None = None  # the loop a settle awaits
        self._counts: dict[tuple[str, str, int], int] = {}
        # (method, route) -> [count per bucket (not cumulative)..., sum of seconds]
        self._durations: dict[tuple[str, str], list[float]] = {}

    @classmethod
    def register(
        cls,
        registry: CollectorRegistry,
        static_paths: Iterable[str] = (),
        logger: logging.Logger = access_logger,
    ) -> "Accounting":
        accounting = cls(static_paths, logger)
        registry.register(accounting)
        return accounting

    def answered(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        """A request the edge answered, with the status really sent."""
        waiting = self._waiting
        waiting.append((scope, status, seconds, request_id, time.time()))
        if len(waiting) >= self._MOST_WAITING:
            self.settle()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an asyncio loop (under trio, say): no turn to wait for
            self.settle()
            return
        if loop is not self._settle_on:  # the turn's first (or its loop ended before settling)
            if access_record_handled(self.logger):
                self.settle()
                return
            self._settle_on = loop
            loop.call_soon(self._settle_in_turn)

    def _settle_in_turn(self) -> None:
        self._settle_on = None
        self.settle()

    def settle(self) -> None:
        """Accounts for every waiting request: its metrics and its access line."""
        if not self._waiting:  # a scrape, the lifespan's end or a turn after a full list
            return
        waiting, self._waiting = self._waiting, []
        lines: list[AccessValues] = []
        for scope, status, seconds, request_id, answered_at in waiting:
            method = scope["method"] if scope["method"] in _METHOD_LABELS else "OTHER"
            route = self._route(scope)
            self.observe(method, route, status, seconds)
            lines.append((method, route, status, round(seconds * 1000, 1), request_id, answered_at))
        write_access_lines(self.logger, __file__, lines)

    def _route(self, scope: Scope) -> str:
        template = route_template(scope)
        if template is not None:
            return template
        path = route_path(scope)
        return path if path in self.static_paths else UNMATCHED_ROUTE

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        timed = self._durations.get((method, route))
        if timed is None:
            timed = self._durations[method, route] = [0.0] * (len(self.BUCKETS) + 1)
        timed[bisect_left(self.BUCKETS, seconds)] += 1
        timed[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        self.settle()
        requests = CounterMetricFamily(
            "veteran_care_http_requests",
            "HTTP requests answered, by method, route template and status.",
            labels=["method", "route", "status"],
        )
        for (method, route, status), count in sorted(self._counts.items()):
            requests.add_metric([method, route, str(status)], count)
        duration = HistogramMetricFamily(
            "veteran_care_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            labels=["method", "route"],
        )
        for (method, route), timed in sorted(self._durations.items()):
            cumulative = list(accumulate(timed[:-1]))
            buckets = list(zip(self._BUCKET_NAMES, cumulative, strict=True))
            duration.add_metric([method, route], buckets, timed[-1])
        return iter((requests, duration))


class EdgeMiddleware:
    """Request id, access log and metrics, security headers: one layer, one ``send`` wrapper.

    - The request id: a sane incoming ``X-Request-ID`` or a new one, echoed on the response,
      kept in ``scope["state"]`` and in a context variable for every log line of the request.
    - Each answered request goes to :class:`Accounting` (its access line and metrics), with the
      status that is really sent (a 413 or a CORS answer that never reaches the app included).
    - Hardening headers on every response; ``no-store`` unless the route set a Cache-Control.

    The three used to be three layers; one costs a third of the calls and closures per request
    (``bench/speed.py`` measures the whole edge against the app without it).
    """

    def __init__(
        self, app: ASGIApp, accounting: Accounting, cacheable_paths: Iterable[str]
    ) -> None:
        self.app = app
        self.accounting = accounting
        self.cacheable_paths = frozenset(cacheable_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            try:
                await self.app(scope, receive, send)
            finally:
                if scope["type"] == "lifespan":  # the server has stopped: what waits, now
                    self.accounting.settle()
            return
        started = time.perf_counter()
        request_id = _incoming_request_id(scope) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_raw = (_REQUEST_ID_HEADER_KEY, request_id.encode("latin-1"))
        no_store = route_path(scope) not in self.cacheable_paths
        status = 500  # what the server answers if the app fails before starting a response

        async def send_at_the_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                for name, _ in headers:  # lowercased, as ASGI requires of an app
                    if name in _EDGE_HEADER_NAMES:
                        message["headers"] = _merged_headers(headers, request_id_raw, no_store)
                        break
                else:  # the usual case: ours to add
                    added = _SECURITY_AND_NO_STORE if no_store else _SECURITY_RAW
                    message["headers"] = [*headers, request_id_raw, *added]
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_at_the_edge)
        finally:
            try:
                self.accounting.answered(scope, status, time.perf_counter() - started, request_id)
            finally:
                request_id_var.reset(token)


def _merged_headers(
    headers: Iterable[tuple[bytes, bytes]], request_id_raw: tuple[bytes, bytes], no_store: bool
) -> list[tuple[bytes, bytes]]:
    """A response's headers with the edge's, where the response set some of them itself: the
    request id replaced, a security header or Cache-Control it set kept."""
    raw = [h for h in headers if h[0] != _REQUEST_ID_HEADER_KEY]
    present = {name for name, _ in raw}
    raw.append(request_id_raw)
    raw.extend(h for h in _SECURITY_RAW if h[0] not in present)
    if no_store and _NO_STORE[0] not in present:
        raw.append(_NO_STORE)
    return raw


class _BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once the body passes the limit. The app's answer is dropped."""


def _too_large_detail(limit: int) -> str:
    return f"The request body is larger than the limit of {limit} bytes."


def _caused_by_limit(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        _, rest = exc.split(_BodyTooLarge)
        return rest is None
    return isinstance(exc, _BodyTooLarge)


class BodyLimitMiddleware:
    """413 problem for a body larger than ``max_body_bytes``, declared or streamed."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared, open_length = body_framing(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send)
            return
        if not open_length and scope.get("http_version") in _FRAMED_BY_LENGTH:
            # HTTP/1: the server reads no more than the declared length, and a request with
            # neither header has no body; nothing to count (most requests, every GET).
            await self.app(scope, receive, send)
            return

        received = 0
        exceeded = False
        response_started = False

        async def receive_with_limit() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge(413, _too_large_detail(limit))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge(413, _too_large_detail(limit))
            return message

        async def send_unless_exceeded(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                return  # whatever the app answers to a body it could not finish reading
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive_with_limit, send_unless_exceeded)
        except Exception as exc:
            if not exceeded or response_started:
                raise
            await self._too_large(scope, receive, send)
            if not _caused_by_limit(exc):
                raise
            return
        if exceeded and not response_started:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = edge_problem(
            Request(scope),
            413,
            "payload-too-large",
            _too_large_detail(self.max_body_bytes),
            # The rest of the body is not read: the connection cannot be reused.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


_FRAMED_BY_LENGTH = frozenset({"1.0", "1.1"})


class PrometheusResponse(Response):
    media_type = METRICS_MEDIA_TYPE


async def metrics(request: Request) -> PrometheusResponse:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return PrometheusResponse(generate_latest(registry))


def _register_process_collectors(registry: CollectorRegistry) -> None:
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)


def install_edge(app: FastAPI, settings: Settings) -> None:
    registry = CollectorRegistry()
    _register_process_collectors(registry)
    app.state.metrics_registry = registry
    docs_paths = {
        path
        for path in (
            app.openapi_url,
            app.docs_url,
            app.redoc_url,
            app.swagger_ui_oauth2_redirect_url if app.docs_url else None,
        )
        if path
    }

    accounting = app.state.accounting = Accounting.register(registry, static_paths=docs_paths)
    build_stack = app.build_middleware_stack

    def build_stack_inside_the_edge() -> ASGIApp:
        inner = build_stack()
        if settings.max_active_requests:
            admission = AdmissionMiddleware(
                inner,
                settings.max_active_requests,
                settings.admission_wait_seconds,
                free_paths={*docs_paths, *FREE_PATHS},
            )
            registry.register(admission)
            inner = admission
        inner = BodyLimitMiddleware(inner, settings.max_body_bytes)
        if settings.cors_origins:  # none allowed: no layer (a browser gets no CORS header)
            inner = CORSMiddleware(
                inner,
                allow_origins=list(settings.cors_origins),
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSE_HEADERS,
            )
        return EdgeMiddleware(inner, accounting, cacheable_paths=docs_paths)

    # Wrapping the built stack (instead of add_middleware) puts the edge outside
    # ServerErrorMiddleware: see the module docstring.
    app.build_middleware_stack = build_stack_inside_the_edge  # type: ignore[method-assign]

    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "Prometheus text exposition format 0.0.4.",
            "content": {METRICS_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    }
    app.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        tags=["health"],
        summary="Metrics in Prometheus text format",
        description="Request counts and durations by route template, and process metrics.",
        response_class=PrometheusResponse,
        responses=responses,
    )
