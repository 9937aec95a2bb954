"""/healthz: the process answers. /readyz: the database answers and its schema is at head.
/metrics: the app's metrics registry (``web.stack``) in Prometheus text format."""

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from veteran_care.errors import PROBLEM_MEDIA_TYPE, problem_response
from veteran_care.migrate import current_revisions

router = APIRouter(tags=["health"])

READY_TIMEOUT_SECONDS = 3.0


class Health(BaseModel):
    """The process answers."""

    status: str = Field(description="Always ok.")


class Readiness(BaseModel):
    """The database answers and its schema is at the latest migration."""

    status: str = Field(description="Always ready (otherwise the answer is a 503 problem).")
    database: str = Field(description="Always ok.")
    schema_revision: list[str] = Field(description="The database's Alembic revision(s).")


@router.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> Health:
    return Health(status="ok")


async def _check(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return await current_revisions(engine)


@router.get(
    "/readyz",
    summary="Readiness: database reachable and migrations at head",
    response_model=Readiness,
    responses={
        503: {
            "description": "Not ready: database unreachable or schema not at head.",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    },
)
async def readyz(request: Request) -> Readiness | JSONResponse:
    engine: AsyncEngine = request.app.state.engine
    heads: frozenset[str] = request.app.state.schema_heads
    try:
        current = await asyncio.wait_for(_check(engine), READY_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, Exception):
        return problem_response(
            request,
            503,
            "not-ready",
            "The database is unreachable.",
            headers={"Retry-After": "5"},
        )
    if current != heads:
        return problem_response(
            request,
            503,
            "not-ready",
            "The database schema is not at the latest migration; run `veteran-care migrate`.",
            headers={"Retry-After": "5"},
            schema_revision=sorted(current),
            expected_revision=sorted(heads),
        )
    return Readiness(status="ready", database="ok", schema_revision=sorted(current))


METRICS_MEDIA_TYPE = "text/plain; version=0.0.4"


class PrometheusResponse(Response):
    media_type = METRICS_MEDIA_TYPE


@router.get(
    "/metrics",
    summary="Metrics in Prometheus text format",
    description="Request counts and durations by route template, process metrics, and the "
    "messages of the outbox and the webhook deliveries by status.",
    response_class=PrometheusResponse,
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4.",
            "content": {METRICS_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(request: Request) -> PrometheusResponse:
    await request.app.state.outbox_gauges.refresh(request.app.state.sessionmaker)
    await request.app.state.delivery_gauges.refresh(request.app.state.sessionmaker)
    return PrometheusResponse(generate_latest(request.app.state.metrics_registry))
