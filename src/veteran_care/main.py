"""The application factories."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from veteran_care import __version__
from veteran_care.audit.checkpoint import checkpoints_on_schedule
from veteran_care.audit.router import router as audit_router
from veteran_care.audit.sealer import sealing
from veteran_care.audit.service import record_problem
from veteran_care.beneficiaries.contacts_router import router as contacts_router
from veteran_care.beneficiaries.router import router as beneficiaries_router
from veteran_care.checkin.router import router as checkin_router
from veteran_care.clinical.router import router as clinical_router
from veteran_care.config import Settings, get_settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.docs.permissions import document_permission
from veteran_care.docs.router import install_docs
from veteran_care.errors import install_error_handlers
from veteran_care.facilities.router import router as facilities_router
from veteran_care.fhir import responses as fhir_responses
from veteran_care.fhir.router import router as fhir_router
from veteran_care.health.router import router as health_router
from veteran_care.history.router import router as history_router
from veteran_care.idempotency.dependencies import document as document_idempotency
from veteran_care.identity.router import router as identity_router
from veteran_care.kit import json_body
from veteran_care.kit.background import in_background
from veteran_care.kit.openapi import install_openapi
from veteran_care.messaging.dispatcher import run_worker
from veteran_care.messaging.metrics import outbox_gauges
from veteran_care.messaging.router import router as messages_router
from veteran_care.migrate import head_revisions
from veteran_care.pharmacy.router import router as pharmacy_router
from veteran_care.printouts.router import router as printouts_router
from veteran_care.queue.display import install_display
from veteran_care.queue.router import router as queue_router
from veteran_care.reference.router import router as reference_router
from veteran_care.reference.service import check_served_provinces
from veteran_care.registry_import.router import router as beneficiaries_import_router
from veteran_care.replica import serving as report_replica
from veteran_care.replies.router import router as replies_router
from veteran_care.reports.router import router as reports_router
from veteran_care.reports.village_list_router import router as village_list_router
from veteran_care.scheduling import waitlist_offers
from veteran_care.scheduling.calendar_router import router as calendar_router
from veteran_care.scheduling.campaigns_router import router as campaigns_router
from veteran_care.scheduling.checkups_router import router as checkups_router
from veteran_care.scheduling.router import router as scheduling_router
from veteran_care.scheduling.visits_router import router as visits_router
from veteran_care.scheduling.waitlist_router import router as waitlist_router
from veteran_care.scheduling.worklist_router import router as worklist_router
from veteran_care.venues.router import router as venues_router
from veteran_care.web.stack import VeteranCareAPI, edge_for
from veteran_care.webhooks.deliverer import run_deliverer
from veteran_care.webhooks.metrics import delivery_gauges
from veteran_care.webhooks.router import router as webhooks_router

API_PREFIX = "/api/v1"

DESCRIPTION = """
Veteran Care keeps the registry of veterans, wounded and sick soldiers and former youth
volunteers of a province, their health-insurance cards, periodic health checks, results,
medicines handed out and the reports the social-affairs department pulls.

Conventions: errors are RFC 9457 `application/problem+json` with a stable `code`; lists use
keyset pagination (`cursor` / `next_cursor`, `limit` ≤ 200); reads return an `ETag` and updates
need `If-Match` (412 when stale, 428 when missing).

Language: a problem's `title` and `detail` and each `errors[].message` are in Vietnamese or
English as `Accept-Language` asks (`vi`, `en`; the server's default, `vi`, otherwise), and the
response's `Content-Language` says which; `code`, `type`, field names and enum values are English
whatever the language. The problem examples in this document show the English texts.
"""


# The document's URLs are paths from the root of whichever host serves it (each province runs its
# own): a client resolves them against the address it fetched the document from.
SERVERS = [{"url": "/", "description": "The server this document was fetched from."}]
# As pyproject.toml states it (an SPDX identifier).
LICENSE = {"name": "Apache License 2.0", "identifier": "Apache-2.0"}


def _operation_id(route: APIRoute) -> str:
    return route.name


# FastAPI's native OpenTelemetry (on by default in FastAPI 0.165) is off. Wherever an
# OpenTelemetry provider is configured it would hand request bodies to its processors and
# record validation failures with the values sent and exception messages: names, ID and card
# numbers. It also looks the global providers up on every request. Metrics are /metrics;
# logs carry no personal data (web/logs.py).
NO_FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def api_routers() -> tuple[APIRouter, ...]:
    """The API's routers, in the order of the OpenAPI document.

    Each is included in the app itself (with the prefix), not in a router of their own: FastAPI
    matches an included router's routes once to find the branch and again in it to run the
    route, at every level of nesting; one level less is one scan less of the routes before the
    one asked for (decision 0017). They are included in ``matching_order``."""
    return (
        identity_router,
        audit_router,
        reference_router,
        facilities_router,
        venues_router,
        visits_router,
        beneficiaries_import_router,
        beneficiaries_router,
        contacts_router,
        history_router,
        scheduling_router,
        calendar_router,
        waitlist_router,
        checkups_router,
        campaigns_router,
        worklist_router,
        village_list_router,
        clinical_router,
        pharmacy_router,
        reports_router,
        printouts_router,
        checkin_router,
        queue_router,
        messages_router,
        replies_router,
        webhooks_router,
    )


def matching_order() -> tuple[APIRouter, ...]:
    """The routers as the app tries them: the desk's busiest first (decision 0063). FastAPI
    tries every route before the one asked for, a few µs each: about 400 µs of CPU before a
    booking when the routers came in the document's order, with 26 routers and 180 routes."""
    busiest = (
        checkups_router,
        beneficiaries_router,
        scheduling_router,
        checkin_router,
        queue_router,
        clinical_router,
        pharmacy_router,
        worklist_router,
    )
    return (*busiest, *(router for router in api_routers() if router not in busiest))


def documented_paths() -> list[str]:
    """The API's paths in the OpenAPI document's order (the routers' order, not the matching's)."""
    return [
        API_PREFIX + getattr(route, "path_format", "")
        for router in api_routers()
        for route in router.routes
    ]


# How often each server moves lapsed waitlist holds on (every waitlist call does it too).
WAITLIST_SWEEP_SECONDS = 30.0


def use_engine(app: FastAPI, engine: AsyncEngine) -> None:
    """What the app's requests run on: the engine and its sessions (the lifespan's; a test that
    needs its writes really committed calls it too)."""
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.account_sessionmaker = create_sessionmaker(engine, autocommit=True)


@asynccontextmanager
async def _dispatching(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """The message dispatcher and the webhook deliverer beside the requests, unless a worker
    of its own runs."""
    if not settings.messages_worker_in_serve:
        yield
        return
    async with (
        in_background(run_worker(app.state.sessionmaker, settings)),
        in_background(run_deliverer(app.state.sessionmaker, settings)),
    ):
        yield


def create_app(settings: Settings | None = None, *, edge: bool = True) -> FastAPI:
    """The app; ``edge=False`` leaves out the middleware (a benchmark's yardstick)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        use_engine(app, engine)
        async with app.state.sessionmaker() as session:
            await check_served_provinces(session, settings.provinces)
        try:
            async with (
                sealing(app.state.sessionmaker, settings.audit_seal_interval_seconds),
                checkpoints_on_schedule(app.state.sessionmaker, settings),
                _dispatching(app, settings),
                report_replica(app, settings),
                in_background(
                    waitlist_offers.keep_sweeping(app.state.sessionmaker, WAITLIST_SWEEP_SECONDS)
                ),
            ):
                yield
        finally:
            await engine.dispose()

    app = VeteranCareAPI(
        title="Veteran Care API",
        version=__version__,
        description=DESCRIPTION,
        servers=SERVERS,
        license_info=LICENSE,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        telemetry=NO_FASTAPI_TELEMETRY,
        docs_url=None,  # docs.router serves them, with their files (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.schema_heads = head_revisions()
    install_error_handlers(app)
    app.state.problem_hook = record_problem
    edge_layers = edge_for(app, settings, install_docs(app) | install_display(app))
    if edge:
        app.edge = edge_layers
    app.state.outbox_gauges = outbox_gauges()
    app.state.metrics_registry.register(app.state.outbox_gauges)
    app.state.delivery_gauges = delivery_gauges()
    app.state.metrics_registry.register(app.state.delivery_gauges)
    app.include_router(health_router)
    for router in matching_order():
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(fhir_router)
    fhir_responses.install(app)  # errors under /fhir leave as OperationOutcome
    documenters = (document_permission, document_idempotency, json_body.document)
    install_openapi(app, documenters, documented_paths())
    return app


def create_served_app(settings: Settings | None = None, *, edge: bool = True) -> FastAPI:
    """The app as ``veteran-care serve`` runs it (each worker process builds its own): the app,
    then the objects it keeps for its lifetime moved out of the garbage collector's sight.

    Building the app leaves about 200,000 objects tracked by the collector (routes, schemas,
    validators, mappers), and each full collection walks them all: on this project's server that
    was a pause of 50-150 ms every few seconds under load, during which no request moves, the
    tail of every latency. ``gc.freeze`` puts them in a permanent generation that collections
    skip; whatever is created later is collected as before (decision 0016)."""
    app = create_app(settings, edge=edge)
    gc.collect()
    gc.freeze()
    return app
