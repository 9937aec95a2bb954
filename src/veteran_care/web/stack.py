"""The middleware every request passes, outermost first, around the whole stack Starlette
builds (so a 500 still gets the request id and headers, and is counted and logged): the request
id (asgi-correlation-id), the edge (headers, access line, metrics), CORS when origins are allowed
(outside the intake, so a browser can read a 413 or a 503), and the intake (body limit,
admission)."""

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
    """FastAPI whose built stack (Starlette's public ``build_middleware_stack``) ``edge`` wraps."""

    edge: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return self.edge(stack) if self.edge is not None else stack


def edge_for(
    app: FastAPI, settings: Settings, docs_paths: Iterable[str] = ()
) -> Callable[[ASGIApp], ASGIApp]:
    """The layers around the built stack, counting into ``app.state.metrics_registry``;
    ``docs_paths`` (and the OpenAPI document) may be cached by browsers."""
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
