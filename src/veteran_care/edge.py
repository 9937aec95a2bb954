"""The HTTP edge: request id, access log and metrics, security headers, CORS, body size limit.

Every layer is plain ASGI (``BaseHTTPMiddleware`` costs about 30% of throughput). They wrap the
whole stack Starlette builds, *including* ``ServerErrorMiddleware``, so that the 500 our
catch-all handler renders still carries the request id, the security and CORS headers, is
counted and logged, and the handler's own log line has the request id. Outermost first:

1. :class:`RequestIdMiddleware`: the id every log line and response of the request carries.
2. :class:`AccessLogMiddleware`: sees the status that is really sent, including a 413 or a
   CORS answer that never reaches the app.
3. :class:`SecurityHeadersMiddleware`: on every response.
4. Starlette's ``CORSMiddleware``: outside the body limit, so that a browser can read a 413.
5. :class:`BodyLimitMiddleware`.

Logs and metrics name the route *template* (``/api/v1/beneficiaries/{beneficiary_id}``), never
the concrete path or the query string: those hold ids, names and national id numbers.
"""

import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veteran_care.config import Settings
from veteran_care.errors import problem_response
from veteran_care.kit.request_context import request_id_var

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

CORS_METHODS = ["GET", "POST", "PATCH", "DELETE", "OPTIONS"]
CORS_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"]
CORS_EXPOSE_HEADERS = ["ETag", "Location", "X-Request-ID", "Retry-After", "Idempotent-Replayed"]

UNMATCHED_ROUTE = "<unmatched>"
# Any other method would let a client mint label values at will.
_METHOD_LABELS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

METRICS_MEDIA_TYPE = "text/plain; version=0.0.4"


def _response_headers(message: Message) -> MutableHeaders:
    message.setdefault("headers", [])
    return MutableHeaders(scope=message)


def _route_path(scope: Scope) -> str:
    """The path as the router sees it (without the ``root_path`` a proxy mounts us under)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        return path[len(root_path) :] or "/"
    return path


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


class RequestIdMiddleware:
    """Keeps a sane incoming ``X-Request-ID`` or makes one; echoes it and exposes it to logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                _response_headers(message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            request_id_var.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER_KEY:
            candidate: str = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.fullmatch(candidate) else None
    return None


@dataclass(frozen=True)
class HttpMetrics:
    requests: Counter
    duration: Histogram

    @classmethod
    def register(cls, registry: CollectorRegistry) -> "HttpMetrics":
        return cls(
            requests=Counter(
                "veteran_care_http_requests_total",
                "HTTP requests answered, by method, route template and status.",
                ["method", "route", "status"],
                registry=registry,
            ),
            duration=Histogram(
                "veteran_care_http_request_duration_seconds",
                "Time to answer an HTTP request, by method and route template.",
                ["method", "route"],
                registry=registry,
            ),
        )


class AccessLogMiddleware:
    """One ``veteran_care.access`` line and one metrics observation per request."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, static_paths: Iterable[str]) -> None:
        self.app = app
        self.metrics = metrics
        # Paths without parameters that are not API routes (the docs): safe to name as they are.
        self.static_paths = frozenset(static_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app fails before starting a response

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHOD_LABELS else "OTHER"
            route = self._route(scope)
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.duration.labels(method, route).observe(elapsed)
            duration_ms = round(elapsed * 1000, 1)
            access_logger.info(
                "%s %s %d %.1fms",
                method,
                route,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                    "request_id": request_id_var.get(),
                },
            )

    def _route(self, scope: Scope) -> str:
        template = route_template(scope)
        if template is not None:
            return template
        path = _route_path(scope)
        return path if path in self.static_paths else UNMATCHED_ROUTE


class SecurityHeadersMiddleware:
    """Hardening headers on every response; ``no-store`` unless the route set a Cache-Control."""

    def __init__(self, app: ASGIApp, cacheable_paths: Iterable[str]) -> None:
        self.app = app
        self.cacheable_paths = frozenset(cacheable_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = _route_path(scope) not in self.cacheable_paths

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # One pass over the response's raw headers (MutableHeaders.setdefault scans
                # them once per header added).
                raw = message.setdefault("headers", [])
                present = {name.lower() for name, _ in raw}
                raw.extend(h for h in _SECURITY_RAW if h[0] not in present)
                if no_store and b"cache-control" not in present:
                    raw.append(_NO_STORE)
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send)
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
        response = problem_response(
            Request(scope),
            413,
            "payload-too-large",
            _too_large_detail(self.max_body_bytes),
            # The rest of the body is not read: the connection cannot be reused.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


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
    http_metrics = HttpMetrics.register(registry)
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

    build_stack = app.build_middleware_stack

    def build_stack_inside_the_edge() -> ASGIApp:
        inner: ASGIApp = BodyLimitMiddleware(build_stack(), settings.max_body_bytes)
        if settings.cors_origins:  # none allowed: no layer (a browser gets no CORS header)
            inner = CORSMiddleware(
                inner,
                allow_origins=list(settings.cors_origins),
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSE_HEADERS,
            )
        inner = SecurityHeadersMiddleware(inner, cacheable_paths=docs_paths)
        inner = AccessLogMiddleware(inner, http_metrics, static_paths=docs_paths)
        return RequestIdMiddleware(inner)

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
