"""The security headers, the access line and the metrics (plain ASGI, ``web.stack``). Logs and
metrics name the route *template*, never the path or query string: those hold ids and names."""

import logging
import re
import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_logger = logging.getLogger("veteran_care.access")
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_NO_STORE = (b"cache-control", b"no-store")
# Any other method would let a client mint label values at will.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_path(scope: Scope) -> str:
    """The path without the ``root_path`` a proxy mounts us under."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    return (path[len(root_path) :] or "/") if root_path and path.startswith(root_path) else path


def route_template(scope: Scope) -> str | None:
    """The matched route's template; since FastAPI 0.137 (fastapi#16051) the full one is on the
    effective route context, ``scope["route"].path`` lacks the include prefixes."""
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(context, "path_format", None) or getattr(scope.get("route"), "path", None)
    return template if isinstance(template, str) and template else None


Headers = list[tuple[bytes, bytes]]


def _headers(headers: Headers, no_store: bool) -> Headers:
    """What the route set wins, except a request id (the outer layer adds it)."""
    raw = [h for h in headers if h[0] != b"x-request-id"]
    present = {name for name, _ in raw}
    raw.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
    if no_store and _NO_STORE[0] not in present:
        raw.append(_NO_STORE)
    return raw


class EdgeMiddleware:
    """Hardening headers (``no-store`` but on static paths such as the docs), then the access
    line and the metrics with the status really sent."""

    def __init__(
        self, app: ASGIApp, registry: CollectorRegistry, static_paths: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.static_paths = frozenset(static_paths)  # no parameters: safe to name in logs
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        path = route_path(scope)  # before routing: a mount (the docs' files) changes root_path
        no_store = path not in self.static_paths
        status = 500  # what the server answers if the app fails before starting a response

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _headers(message.get("headers", ()), no_store)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._account(scope, path, status, time.perf_counter() - started)

    def _account(self, scope: Scope, path: str, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = route_template(scope) or (path if path in self.static_paths else "<unmatched>")
        self.requests.labels(method, route, str(status)).inc()
        self.durations.labels(method, route).observe(seconds)
        fields = {"method": method, "route": route, "status": status}
        fields["duration_ms"] = round(seconds * 1000, 1)
        access_logger.info(
            "%(method)s %(route)s %(status)d %(duration_ms).1fms", fields, extra=fields
        )
