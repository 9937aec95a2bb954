"""The applications that bench/speed.py serves with uvicorn (``--app-dir bench --factory``).

- ``project``: the project as ``veteran-care serve`` builds it (production logging included).
- ``project_without_edge``: the same app without its middleware (request id, access log and
  metrics, security headers, CORS, body limit, admission): the yardstick for the middleware's
  cost. It works on any layout of the edge (see its docstring).
- ``bare``: the baseline. Starlette + an asyncpg pool, no ORM, no validation, no middleware,
  doing the same database work as the project's ``GET /api/v1/beneficiaries/{id}``: the same
  statements (the account with its facilities, the person, the categories, the card valid
  today, the audit chain lock, the latest hash, the audit insert with its chained hash) in one
  transaction, committed as the project commits (without waiting for the WAL flush under the
  chain lock, then a flush before answering). It trusts the bearer token without checking it
  (the project verifies the JWT).
"""

import importlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import asyncpg
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from veteran_care.config import Settings, get_settings
from veteran_care.main import create_served_app

# Where ``veteran-care serve`` finds its logging set-up: logs.py until issue 21 moved it. The CLI
# imports it wherever it lives, so the CLI module is the last place to look.
LOGGING_MODULES = (
    "veteran_care.logs",
    "veteran_care.web.logs",
    "veteran_care.web.logging",
    "veteran_care.web.log",
    "veteran_care.cli",
)


def configure_logging(settings: Settings) -> None:
    """Logging as ``veteran-care serve`` sets it up (JSON access lines in production)."""
    for name in LOGGING_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as missing:
            if missing.name and name.startswith(missing.name):
                continue  # no such module in this layout
            raise
        configure = getattr(module, "configure_logging", None)
        if configure is not None:
            configure(settings)
            return
    raise SystemExit(f"speed_apps: no configure_logging in {', '.join(LOGGING_MODULES)}")


def project() -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    return create_served_app(settings)


def project_without_edge() -> FastAPI:
    """The project's app with FastAPI's own middleware stack only, on any layout of the edge:
    the middleware added with ``add_middleware`` is cleared, and the stack is built here by
    FastAPI's ``build_middleware_stack``, not by whatever wraps it (a wrapper set on the app
    by ``install_edge`` before issue 21, or an override in a subclass of FastAPI). Starlette
    builds ``middleware_stack`` on the first call when it is None; set, it is used as is."""
    app = project()
    app.user_middleware.clear()
    app.middleware_stack = FastAPI.build_middleware_stack(app)
    return app


# The bare baseline -----------------------------------------------------------------------------

ACCOUNT = (
    "SELECT accounts.id, accounts.kind, accounts.login, accounts.roles, accounts.province_wide, "
    "accounts.active, accounts.tokens_valid_after, account_facilities.facility_id "
    "FROM accounts LEFT OUTER JOIN account_facilities "
    "ON account_facilities.account_id = accounts.id WHERE accounts.id = $1"
)
PERSON = (
    "SELECT full_name, name_search, birth_date, birth_year, sex, ethnicity_code, national_id, "
    "national_id_type, bhxh_number, phone, commune_code, address_line, legacy_district, "
    "registered_facility_id, status, date_of_death, id, created_at, updated_at, version "
    "FROM beneficiaries WHERE id = $1"
)
CATEGORIES = (
    "SELECT beneficiary_id, category_code, disability_rate, recognition_date "
    "FROM beneficiary_category_memberships WHERE beneficiary_id = $1 ORDER BY category_code"
)
CARD = (
    "SELECT beneficiary_id, number, number_format, object_code, benefit_level, province_code, "
    "bhxh_number, valid_from, valid_to, registration_facility_code, status, id, created_at, "
    "updated_at, version FROM insurance_cards WHERE beneficiary_id = $1 AND status = 'active' "
    "AND valid_from <= $2 AND valid_to >= $2 ORDER BY valid_to DESC, id LIMIT 1"
)
LOCK = "SELECT pg_advisory_xact_lock($1), set_config('synchronous_commit', 'off', true)"
LATEST = "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1"
INSERT_AUDIT = (
    "INSERT INTO audit_events (occurred_at, actor_kind, actor_id, actor_login, action, "
    "operation, resource_type, resource_id, beneficiary_id, request_id, client_address, "
    "outcome, status_code, changed_fields, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, "
    "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id"
)


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


async def _bare_person(request: Request) -> JSONResponse:
    genesis, chain_hash, lock_key = request.app.state.chain
    pool: asyncpg.Pool = request.app.state.pool
    person_id = uuid.UUID(request.path_params["beneficiary_id"])
    account_id = uuid.UUID(os.environ["BENCH_ACCOUNT_ID"])
    async with pool.acquire() as connection, connection.transaction():
        account = await connection.fetch(ACCOUNT, account_id)
        if not account or not account[0]["active"]:
            return JSONResponse({"detail": "unauthorized"}, status_code=401)
        person = await connection.fetchrow(PERSON, person_id)
        if person is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        categories = await connection.fetch(CATEGORIES, person_id)
        card = await connection.fetchrow(CARD, person_id, datetime.now(UTC).date())
        event = SimpleNamespace(
            occurred_at=datetime.now(UTC),
            actor_kind="user",
            actor_id=account_id,
            actor_login=account[0]["login"],
            action="read",
            operation="get_beneficiary",
            resource_type="beneficiary",
            resource_id=str(person_id),
            beneficiary_id=person_id,
            request_id=request.headers.get("x-request-id") or uuid.uuid4().hex,
            client_address=request.client.host if request.client else None,
            outcome="success",
            status_code=None,
            changed_fields=None,
            detail=None,
        )
        await connection.execute(LOCK, lock_key)
        prev = await connection.fetchval(LATEST) or genesis
        digest = chain_hash(prev, event)  # type: ignore[arg-type]
        await connection.fetchval(INSERT_AUDIT, *vars(event).values(), prev, digest)
    async with pool.acquire() as connection, connection.transaction():
        await connection.fetchval("SELECT pg_current_xact_id()")  # durable before answering
    body = {k: _json(v) for k, v in person.items()}
    body["categories"] = [{k: _json(v) for k, v in c.items()} for c in categories]
    body["current_card"] = {k: _json(v) for k, v in card.items()} if card else None
    return JSONResponse(body)


async def _bare_health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def _pool(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_ASYNCPG_DSN"],
        min_size=1,
        max_size=int(os.environ.get("BENCH_POOL_SIZE", "20")),
        server_settings={"plan_cache_mode": "force_custom_plan"},
    )
    try:
        yield
    finally:
        await app.state.pool.close()


def bare() -> Starlette:
    # Imported here, not at the top: the project's factories need none of them.
    from veteran_care.audit.chain import GENESIS, chain_hash
    from veteran_care.audit.repository import AUDIT_LOCK_KEY

    app = Starlette(
        routes=[
            Route("/healthz", _bare_health),
            Route("/api/v1/beneficiaries/{beneficiary_id}", _bare_person),
        ],
        lifespan=_pool,
    )
    app.state.chain = (GENESIS, chain_hash, AUDIT_LOCK_KEY)
    return app
