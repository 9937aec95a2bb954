"""The HTTP edge: request ids, security headers, body limit, CORS, access log, metrics, logging."""

import io
import json
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from asgi_correlation_id import CorrelationIdFilter, correlation_id
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from veteran_care.config import Environment, Settings
from veteran_care.errors import PROBLEM_MEDIA_TYPE
from veteran_care.main import create_app
from veteran_care.web.intake import IntakeMiddleware
from veteran_care.web.logs import (
    PLAIN_FORMAT,
    JsonFormatter,
    configure_logging,
)

SMALL_LIMIT = 2048
ALLOWED_ORIGIN = "https://app.example"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
BENEFICIARY_TEMPLATE = "/api/v1/beneficiaries/{beneficiary_id}"


def _app(settings: Settings, engine: Any, sessionmaker: Any, **overrides: Any) -> FastAPI:
    app = create_app(settings.model_copy(update=overrides))
    app.state.engine = engine
    app.state.sessionmaker = app.state.account_sessionmaker = sessionmaker
    return app


async def _upload(request: Request) -> dict[str, int]:
    """Reads the raw stream itself, outside FastAPI's body parsing."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return {"size": size}


async def _careless_upload(request: Request) -> JSONResponse:
    """Turns any read error into its own answer, as a careless route might."""
    try:
        await request.body()
    except Exception:
        return JSONResponse({"error": "unreadable"}, status_code=400)
    return JSONResponse({})


async def _crash() -> None:
    raise RuntimeError("boom")


@pytest.fixture
async def small_client(
    settings: Settings, engine: Any, sessionmaker: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(settings, engine, sessionmaker, max_body_bytes=SMALL_LIMIT)
    app.add_api_route("/test/upload", _upload, methods=["POST"])
    app.add_api_route("/test/crash", _crash, methods=["GET"])
    app.add_api_route("/test/careless-upload", _careless_upload, methods=["POST"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def cors_client(
    settings: Settings, engine: Any, sessionmaker: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(settings, engine, sessionmaker, cors_origins=[ALLOWED_ORIGIN])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _chunks(count: int, size: int = 1024) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


def _assert_too_large(response: httpx.Response, path: str) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == "urn:veteran-care:problem:payload-too-large"
    assert body["code"] == "payload-too-large"
    assert body["status"] == 413
    assert body["title"]
    assert str(SMALL_LIMIT) in body["detail"]
    assert body["instance"] == path
    assert response.headers["x-request-id"]


# Request id


async def test_request_id_is_generated_and_echoed(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_valid_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert response.headers["x-request-id"] == "lb-7f3a.2_x"


@pytest.mark.parametrize("bad", ["has spaces", "x" * 200, "semi;colon", "ünïcode"])
async def test_invalid_incoming_request_id_is_replaced(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": bad.encode()})
    echoed = response.headers["x-request-id"]
    assert echoed != bad
    assert len(echoed) == 32
    int(echoed, 16)


async def test_request_id_is_on_request_state_and_contextvar(
    settings: Settings, engine: Any, sessionmaker: Any
) -> None:
    app = _app(settings, engine, sessionmaker)

    async def whoami(request: Request) -> dict[str, str | None]:
        return {"context": correlation_id.get()}

    app.add_api_route("/test/whoami", whoami, methods=["GET"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/test/whoami", headers={"X-Request-ID": "abc-123"})
    assert response.json() == {"context": "abc-123"}


# Security headers and caching


async def test_security_headers_on_an_api_response(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/communes")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["cache-control"] == "no-store"


async def test_security_headers_on_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["cache-control"] == "no-store"


async def test_documentation_may_be_cached(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        response = await client.get(path)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("cache-control", ""), path
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_cache_control_set_by_the_route_is_kept(
    settings: Settings, engine: Any, sessionmaker: Any
) -> None:
    app = _app(settings, engine, sessionmaker)

    async def cached() -> JSONResponse:
        return JSONResponse({}, headers={"Cache-Control": "max-age=60"})

    app.add_api_route("/test/cached", cached, methods=["GET"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/test/cached")
    assert response.headers["cache-control"] == "max-age=60"


async def test_a_security_header_set_by_the_route_is_kept_and_the_request_id_is_ours(
    settings: Settings, engine: Any, sessionmaker: Any
) -> None:
    app = _app(settings, engine, sessionmaker)

    async def framed() -> JSONResponse:
        return JSONResponse({}, headers={"X-Frame-Options": "SAMEORIGIN", "X-Request-ID": "x"})

    app.add_api_route("/test/framed", framed, methods=["GET"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/test/framed", headers={"X-Request-ID": "edge-1"})
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers.get_list("x-request-id") == ["edge-1"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_an_unhandled_error_still_has_the_edge_headers(
    small_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="veteran_care.access")
    response = await small_client.get("/test/crash", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["x-request-id"] == "crash-1"
    assert response.headers["x-frame-options"] == "DENY"
    access = [r for r in caplog.records if r.name == "veteran_care.access"]
    assert [(r.route, r.status) for r in access] == [("/test/crash", 500)]  # type: ignore[attr-defined]


# Body size limit


async def test_declared_body_over_the_limit_is_refused_at_once(
    small_client: httpx.AsyncClient,
) -> None:
    response = await small_client.post(
        "/api/v1/beneficiaries",
        content=b"{" + b" " * SMALL_LIMIT + b"}",
        headers={"content-type": "application/json"},
    )
    _assert_too_large(response, "/api/v1/beneficiaries")


async def test_streamed_body_over_the_limit_is_refused(small_client: httpx.AsyncClient) -> None:
    response = await small_client.post("/test/upload", content=_chunks(5))
    _assert_too_large(response, "/test/upload")


async def test_streamed_json_over_the_limit_on_an_api_route_is_refused(
    small_client: httpx.AsyncClient,
) -> None:
    response = await small_client.post(
        "/api/v1/beneficiaries",
        content=_chunks(3),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    _assert_too_large(response, "/api/v1/beneficiaries")


async def test_overflow_answers_413_even_if_the_route_answers_otherwise(
    small_client: httpx.AsyncClient,
) -> None:
    response = await small_client.post("/test/careless-upload", content=_chunks(3))
    _assert_too_large(response, "/test/careless-upload")


async def test_streamed_body_within_the_limit_reaches_the_route(
    small_client: httpx.AsyncClient,
) -> None:
    response = await small_client.post("/test/upload", content=_chunks(2))
    assert response.status_code == 200
    assert response.json() == {"size": SMALL_LIMIT}


@pytest.mark.parametrize(
    ("http_version", "headers"),
    [("2", []), ("1.1", [(b"content-length", b"ten")])],
    ids=["http2-without-length", "unreadable-length"],
)
async def test_a_body_of_open_length_is_counted(
    http_version: str, headers: list[tuple[bytes, bytes]]
) -> None:
    async def reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read"})

    chunks = [{"type": "http.request", "body": b"x" * 1000, "more_body": True}] * 5
    sent: list[Message] = []

    async def receive() -> Message:
        return chunks.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": http_version,
        "method": "POST",
        "path": "/upload",
        "root_path": "",
        "headers": headers,
    }
    await IntakeMiddleware(reads_everything, 2048)(scope, receive, send)
    assert sent[0]["status"] == 413


# CORS


async def test_cors_preflight_from_an_allowed_origin(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.options(
        "/api/v1/beneficiaries",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match, idempotency-key",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "PATCH" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "if-match", "idempotency-key", "x-request-id"} <= {
        h.strip() for h in allowed.split(",")
    }


async def test_cors_exposes_headers_to_an_allowed_origin(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"etag", "location", "x-request-id", "retry-after"} <= exposed


async def test_cors_refuses_another_origin(cors_client: httpx.AsyncClient) -> None:
    preflight = await cors_client.options(
        "/api/v1/beneficiaries",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = await cors_client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


async def test_no_cross_origin_access_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
    assert "access-control-allow-origin" not in response.headers


# Access log and metrics


async def test_access_log_names_the_route_template_and_no_personal_data(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="veteran_care.access")
    beneficiary_id = str(uuid.uuid4())
    response = await client.get(
        f"/api/v1/beneficiaries/{beneficiary_id}", params={"q": "Nguyễn Văn An"}
    )
    access = [r for r in caplog.records if r.name == "veteran_care.access"]
    assert len(access) == 1
    record = access[0]
    line = record.getMessage()
    assert line == (
        f"GET {BENEFICIARY_TEMPLATE} {response.status_code} {record.duration_ms:.1f}ms"  # type: ignore[attr-defined]
    )
    assert record.levelno == logging.INFO
    everything = line + repr(vars(record))
    assert beneficiary_id not in everything
    assert "Nguy" not in everything
    assert "q=" not in everything


async def test_unmatched_paths_are_logged_without_the_path(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="veteran_care.access")
    await client.get("/api/v1/079201001234")
    (record,) = [r for r in caplog.records if r.name == "veteran_care.access"]
    assert record.getMessage().startswith("GET <unmatched> 404 ")
    assert "079201001234" not in repr(vars(record))


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    beneficiary_id = str(uuid.uuid4())
    answered = await client.get(f"/api/v1/beneficiaries/{beneficiary_id}")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert (
        "veteran_care_http_requests_total{"
        f'method="GET",route="{BENEFICIARY_TEMPLATE}",status="{answered.status_code}"'
        "} 1.0"
    ) in text
    duration_count = "veteran_care_http_request_duration_seconds_count"
    assert f'{duration_count}{{method="GET",route="{BENEFICIARY_TEMPLATE}"}} 1.0' in text
    assert beneficiary_id not in text


async def test_metrics_registry_is_per_app(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.get("/healthz")
    other = create_app(settings)
    assert other.state.metrics_registry is not app.state.metrics_registry
    assert (
        other.state.metrics_registry.get_sample_value(
            "veteran_care_http_requests_total",
            {"method": "GET", "route": "/healthz", "status": "200"},
        )
        is None
    )
    assert (
        app.state.metrics_registry.get_sample_value(
            "veteran_care_http_requests_total",
            {"method": "GET", "route": "/healthz", "status": "200"},
        )
        == 1.0
    )


async def test_metrics_is_documented_under_health(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/metrics"]["get"]
    assert operation["operationId"] == "metrics"
    assert operation["tags"] == ["health"]
    assert operation["summary"]
    assert list(operation["responses"]["200"]["content"]) == ["text/plain; version=0.0.4"]


# Logging configuration


def _record(message: str, exc_info: Any = None) -> logging.LogRecord:
    return logging.LogRecord("veteran_care.test", logging.ERROR, __file__, 1, message, (), exc_info)


def test_json_lines_carry_the_request_id_and_no_exception_message() -> None:
    national_id = "".join(["0792", "0100", "1234"])  # not literally in the stack's source lines
    try:
        raise ValueError(f"Key (national_id)=({national_id}) already exists")
    except ValueError:
        exc_info = sys.exc_info()
    token = correlation_id.set("req-42")
    try:
        record = _record("insert failed", exc_info)
        CorrelationIdFilter().filter(record)
        line = JsonFormatter().format(record)
    finally:
        correlation_id.reset(token)
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "veteran_care.test"
    assert entry["message"] == "insert failed"
    assert entry["request_id"] == "req-42"
    assert entry["exc_type"] == "ValueError"
    assert entry["time"].endswith("Z")
    assert national_id not in line
    assert "test_edge.py" in entry["stack"]
    assert "\n" not in line


def test_json_lines_carry_extra_fields_but_not_terminal_colours() -> None:
    record = _record("GET /healthz 200")
    record.route = "/healthz"
    record.color_message = "\x1b[1mGET\x1b[0m"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["route"] == "/healthz"
    assert entry["request_id"] is None
    assert "color_message" not in entry


def test_plain_lines_show_the_request_id() -> None:
    record = _record("hello")
    token = correlation_id.set("req-43")
    try:
        CorrelationIdFilter(default_value="-").filter(record)
    finally:
        correlation_id.reset(token)
    outside = _record("outside")
    CorrelationIdFilter(default_value="-").filter(outside)
    plain = logging.Formatter(PLAIN_FORMAT)
    assert "[req-43] hello" in plain.format(record)
    assert "[-] outside" in plain.format(outside)


@contextmanager
def _restored_logging() -> Iterator[None]:
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = [
        (
            logging.getLogger(n),
            logging.getLogger(n).handlers[:],
            logging.getLogger(n).level,
            logging.getLogger(n).propagate,
        )
        for n in names
    ]
    try:
        yield
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def test_configure_logging_is_idempotent_and_quiets_uvicorn_access(settings: Settings) -> None:
    production = settings.model_copy(
        update={"environment": Environment.production, "log_json": None}
    )
    with _restored_logging():
        configure_logging(production)
        configure_logging(production)
        root = logging.getLogger()
        ours = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
        assert len(ours) == 1
        assert len(root.handlers) == 1
        assert logging.getLogger("uvicorn.access").level == logging.WARNING
        configure_logging(settings.model_copy(update={"log_json": False}))
        (handler,) = root.handlers
        record = _record("plain again")
        handler.filter(record)
        assert handler.format(record).endswith("veteran_care.test [-] plain again")


async def test_production_writes_one_json_access_line_per_request(
    settings: Settings, engine: Any, sessionmaker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ``serve`` logs in production: one JSON line per request, written when it ends, with
    the route template and the request id, and nothing of the path's ids or the query."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    production = settings.model_copy(update={"environment": Environment.production})
    with _restored_logging():
        configure_logging(production)
        app = _app(settings, engine, sessionmaker)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            beneficiary_id = str(uuid.uuid4())
            answered = await client.get(
                f"/api/v1/beneficiaries/{beneficiary_id}", params={"q": "Nguyễn"}
            )
            await client.get("/healthz")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "veteran_care.access"]
    assert [(a["method"], a["route"], a["status"]) for a in access] == [
        ("GET", BENEFICIARY_TEMPLATE, answered.status_code),
        ("GET", "/healthz", 200),
    ]
    first = access[0]
    assert first["request_id"] == answered.headers["x-request-id"]
    assert first["message"] == f"GET {BENEFICIARY_TEMPLATE} 401 {first['duration_ms']:.1f}ms"
    assert first["level"] == "INFO"
    ours = "\n".join(str(line) for line in lines if line["logger"] != "httpx")  # the client's
    assert beneficiary_id not in ours
    assert "Nguy" not in ours
