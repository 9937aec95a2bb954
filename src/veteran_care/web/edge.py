"""The outermost layer: the request id, the security headers, the access line and the metrics.

Plain ASGI (``BaseHTTPMiddleware`` costs about 30 % of throughput). It wraps the whole stack
Starlette builds, ``ServerErrorMiddleware`` included (``stack.VeteranCareAPI``), so that a 500
still carries the request id and the security headers, and is counted and logged. Logs and
metrics name the route *template* (``/api/v1/beneficiaries/{beneficiary_id}``), never the path
or the query string: those hold ids, names and national id numbers.
"""

import logging
import re
import time
import uuid
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veteran_care.kit.asgi import route_path
from veteran_care.kit.request_context import request_id_var

access_logger = logging.getLogger("veteran_care.access")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_KEY = b"x-request-id"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)
_SECURITY_RAW = [(n.lower().encode(), v.encode()) for n, v in SECURITY_HEADERS]
_NO_STORE = (b"cache-control", b"no-store")
UNMATCHED_ROUTE = "<unmatched>"
# Any other method would let a client mint label values at will.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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


class HttpMetrics:
    """Requests by method, route template and status, and their durations (one app's registry)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "veteran_care_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.durations = Histogram(
            "veteran_care_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=registry,
        )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_KEY:
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.fullmatch(candidate) else None
    return None


def _with_edge_headers(
    headers: Iterable[tuple[bytes, bytes]], request_id: bytes, no_store: bool
) -> list[tuple[bytes, bytes]]:
    """The response's headers, the request id ours, a security header or Cache-Control that the
    route set kept."""
    raw = [h for h in headers if h[0] != _REQUEST_ID_KEY]
    present = {name for name, _ in raw}
    raw.append((_REQUEST_ID_KEY, request_id))
    raw.extend(h for h in _SECURITY_RAW if h[0] not in present)
    if no_store and _NO_STORE[0] not in present:
        raw.append(_NO_STORE)
    return raw


class EdgeMiddleware:
    """Request id (a sane incoming ``X-Request-ID`` or a new one, echoed, in ``scope["state"]``
    and in a context variable for every log line), hardening headers (``no-store`` unless the
    route set a Cache-Control, or it is a documentation path), then the access line and metrics
    with the status really sent."""

    def __init__(
        self, app: ASGIApp, metrics: HttpMetrics, static_paths: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.metrics = metrics
        # Paths without parameters that are not API routes (the docs): cacheable, and safe to
        # name in logs as they are.
        self.static_paths = frozenset(static_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        path = route_path(scope)  # before routing: a mount (the docs' files) changes root_path
        no_store = path not in self.static_paths
        status = 500  # what the server answers if the app fails before starting a response

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _with_edge_headers(
                    message.get("headers", ()), request_id.encode(), no_store
                )
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._account(scope, path, status, time.perf_counter() - started, request_id)
            request_id_var.reset(token)

    def _account(
        self, scope: Scope, path: str, status: int, seconds: float, request_id: str
    ) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = route_template(scope)
        if route is None:
            route = path if path in self.static_paths else UNMATCHED_ROUTE
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.durations.labels(method, route).observe(seconds)
        duration_ms = round(seconds * 1000, 1)
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
                "request_id": request_id,
            },
        )
