"""The middleware every request passes, outermost first, and the app's metrics registry.

1. asgi-correlation-id's ``CorrelationIdMiddleware``: the ``X-Request-ID`` a load balancer sent
   (if sane) or a new one, echoed, and in ``correlation_id`` for every log line and audit event.
2. :class:`~veteran_care.web.edge.EdgeMiddleware`: security headers, access line and metrics,
   with the status really sent (a 413 or a CORS answer included).
3. Starlette's ``CORSMiddleware``, only when origins are allowed: outside the intake, so that a
   browser can read a 413 or a 503.
4. :class:`~veteran_care.web.intake.IntakeMiddleware`: the body limit and admission.

They wrap the whole stack Starlette builds, ``ServerErrorMiddleware`` included, so that the 500
our catch-all handler renders still has the request id and headers and is counted and logged.
"""

import uuid
from collections.abc import Callable, Iterable

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, CollectorRegistry
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from veteran_care.config import Settings
from veteran_care.web.edge import VALID_REQUEST_ID, EdgeMiddleware
from veteran_care.web.intake import IntakeMiddleware

CORS_METHODS = ["GET", "POST", "PATCH", "DELETE", "OPTIONS"]
CORS_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"]
CORS_EXPOSE_HEADERS = ["ETag", "Location", "X-Request-ID", "Retry-After", "Idempotent-Replayed"]
# Never held back by the admission limit: a load balancer must see a busy worker as alive.
FREE_PATHS = ("/healthz", "/readyz", "/metrics")


class VeteranCareAPI(FastAPI):
    """FastAPI whose built stack is wrapped by ``edge`` when set (``build_middleware_stack`` is
    the public method Starlette calls once, on the first request)."""

    edge: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return self.edge(stack) if self.edge is not None else stack


def edge_for(
    app: FastAPI, settings: Settings, docs_paths: Iterable[str] = ()
) -> Callable[[ASGIApp], ASGIApp]:
    """The layers around the app's built stack (see the module's docstring), counting into a
    metrics registry of the app's own (``app.state.metrics_registry``, served at ``/metrics``).
    ``docs_paths``: the documentation's pages and files, which browsers may cache (with the
    OpenAPI document)."""
    registry = app.state.metrics_registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    docs_paths = {path for path in (app.openapi_url, *docs_paths) if path}

    def wrap(inner: ASGIApp) -> ASGIApp:
        intake = IntakeMiddleware(
            inner,
            settings.max_body_bytes,
            settings.max_active_requests,
            settings.admission_wait_seconds,
            free_paths={*docs_paths, *FREE_PATHS},
        )
        if settings.max_active_requests:
            registry.register(intake)
        inner = intake
        if settings.cors_origins:  # none allowed: no layer (a browser gets no CORS header)
            inner = CORSMiddleware(
                inner,
                allow_origins=list(settings.cors_origins),
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSE_HEADERS,
            )
        return CorrelationIdMiddleware(
            EdgeMiddleware(inner, registry, static_paths=docs_paths),
            validator=lambda given: VALID_REQUEST_ID.fullmatch(given) is not None,
            generator=lambda: uuid.uuid4().hex,
        )

    return wrap
