"""The HTTP edge: request ids, security headers, body limit, CORS, access log, metrics, logging."""

import asyncio
import io
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from starlette.types import Message, Receive, Scope, Send

from veteran_care.config import Environment, Settings
from veteran_care.edge import Accounting, BodyLimitMiddleware, new_request_id
from veteran_care.errors import PROBLEM_MEDIA_TYPE
from veteran_care.identity.repository import account_reader
from veteran_care.kit.request_context import current_request_id, request_id_var
from veteran_care.logs import (
    AccessRecord,
    JsonFormatter,
    PlainFormatter,
    RequestIdFilter,
    configure_logging,
)
from veteran_care.main import create_app

from .test_logs import json_logger

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
    app.state.sessionmaker = sessionmaker
    app.state.read_account = account_reader(sessionmaker)
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


def test_generated_request_ids_are_unique_within_a_process_and_across_a_fork() -> None:
    ids = [new_request_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a worker forked after import draws its own prefix
        os.write(write_end, new_request_id().encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    child = os.read(read_end, 64).decode()
    os.close(read_end)
    assert len(child) == 32
    assert child[:16] != ids[0][:16]


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
        return {"state": request.state.request_id, "context": current_request_id()}

    app.add_api_route("/test/whoami", whoami, methods=["GET"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/test/whoami", headers={"X-Request-ID": "abc-123"})
    assert response.json() == {"state": "abc-123", "context": "abc-123"}
    assert current_request_id() is None


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
    assert [(r.route, r.status, r.request_id) for r in access] == [  # type: ignore[attr-defined]
        ("/test/crash", 500, "crash-1")
    ]


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
    await BodyLimitMiddleware(reads_everything, 2048)(scope, receive, send)
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
    assert record.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
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


def test_duration_histogram_buckets_are_cumulative_and_inclusive() -> None:
    registry = CollectorRegistry()
    metrics = Accounting.register(registry)
    for seconds in (0.005, 0.0051, 0.3, 42.0):  # on a bound, just above it, middle, past the last
        metrics.observe("GET", "/healthz", 200, seconds)
    metrics.observe("GET", "/healthz", 503, 0.001)

    def bucket(le: str) -> float | None:
        labels = {"method": "GET", "route": "/healthz", "le": le}
        return registry.get_sample_value(
            "veteran_care_http_request_duration_seconds_bucket", labels
        )

    assert [bucket(le) for le in ("0.005", "0.01", "0.25", "0.5", "10.0", "+Inf")] == [
        2.0, 3.0, 3.0, 4.0, 4.0, 5.0
    ]  # fmt: skip
    route = {"method": "GET", "route": "/healthz"}
    assert (
        registry.get_sample_value("veteran_care_http_request_duration_seconds_count", route) == 5.0
    )
    assert registry.get_sample_value(
        "veteran_care_http_request_duration_seconds_sum", route
    ) == pytest.approx(42.3111)
    assert (
        registry.get_sample_value("veteran_care_http_requests_total", {**route, "status": "200"})
        == 4.0
    )


def _answered(path: str, method: str = "GET") -> Scope:
    return {"type": "http", "method": method, "path": path, "root_path": ""}


def _requests_total(registry: CollectorRegistry, status: int) -> float | None:
    labels = {"method": "GET", "route": "/healthz", "status": str(status)}
    return registry.get_sample_value("veteran_care_http_requests_total", labels)


async def test_requests_answered_in_a_turn_are_accounted_when_it_ends() -> None:
    registry = CollectorRegistry()
    with json_logger() as (logger, stream, handler):
        accounting = Accounting.register(registry, static_paths={"/healthz"}, logger=logger)
        for n in range(3):
            accounting.answered(_answered("/healthz"), 200, 0.002, f"req-{n}")
        handler.flush()
        assert stream.getvalue() == ""  # they wait for the turn to end, not in the handler
        await asyncio.sleep(0)  # the turn ends: the lines go to the handler ...
        handler.flush()  # ... which writes them at its next turn
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["route"], e["status"], e["request_id"]) for e in lines] == [
        ("/healthz", 200, "req-0"), ("/healthz", 200, "req-1"), ("/healthz", 200, "req-2")
    ]  # fmt: skip
    assert _requests_total(registry, 200) == 3.0


async def test_a_scrape_sees_every_request_answered_before_it() -> None:
    registry = CollectorRegistry()
    with json_logger() as (logger, stream, handler):
        accounting = Accounting.register(registry, static_paths={"/healthz"}, logger=logger)
        accounting.answered(_answered("/healthz"), 503, 0.002, "req-1")
        assert _requests_total(registry, 503) == 1.0  # in the same turn
        handler.flush()
        assert json.loads(stream.getvalue())["status"] == 503


async def test_at_most_so_many_requests_wait_for_the_turn_to_end() -> None:
    registry = CollectorRegistry()
    with json_logger() as (logger, stream, handler):
        accounting = Accounting.register(registry, static_paths={"/healthz"}, logger=logger)
        answered = 3 * Accounting._MOST_WAITING + 5
        for n in range(answered):
            accounting.answered(_answered("/healthz"), 200, 0.002, f"req-{n}")
            assert len(accounting._waiting) < Accounting._MOST_WAITING
        handler.flush()
        written = len(stream.getvalue().splitlines())
    assert written == answered - answered % Accounting._MOST_WAITING
    assert _requests_total(registry, 200) == answered


def test_outside_an_asyncio_loop_a_request_is_accounted_at_once() -> None:
    registry = CollectorRegistry()
    with json_logger() as (logger, stream, _):
        accounting = Accounting.register(registry, static_paths={"/healthz"}, logger=logger)
        accounting.answered(_answered("/healthz"), 200, 0.001, "no-loop")
        assert json.loads(stream.getvalue())["request_id"] == "no-loop"


def _answered_on_a_loop_that_ends(accounting: Accounting, request_id: str) -> None:
    ended = asyncio.new_event_loop()
    ended.call_soon(accounting.answered, _answered("/healthz"), 200, 0.001, request_id)
    ended.call_soon(ended.stop)  # the loop stops before the turn its settle awaits
    ended.run_forever()
    ended.close()


def _request_ids(stream: io.StringIO) -> list[str]:
    return [json.loads(line)["request_id"] for line in stream.getvalue().splitlines()]


def test_requests_left_by_a_loop_that_ended_are_accounted_with_the_next_loops() -> None:
    registry = CollectorRegistry()
    with json_logger() as (logger, stream, handler):
        accounting = Accounting.register(registry, static_paths={"/healthz"}, logger=logger)
        _answered_on_a_loop_that_ends(accounting, "left")
        handler.flush()
        assert stream.getvalue() == ""

        async def answer() -> None:
            accounting.answered(_answered("/healthz"), 200, 0.001, "next")
            await asyncio.sleep(0)

        asyncio.run(answer())
        handler.flush()
        assert _request_ids(stream) == ["left", "next"]


def test_the_requests_still_waiting_are_accounted_when_the_lifespan_ends(
    settings: Settings,
) -> None:
    app = create_app(settings)
    accounting: Accounting = app.state.accounting
    sent: list[str] = []

    async def lifespan() -> None:
        events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def receive() -> Message:
            return next(events)

        async def send(message: Message) -> None:
            sent.append(message["type"])

        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

    with json_logger() as (logger, stream, handler):
        accounting.logger = logger
        _answered_on_a_loop_that_ends(accounting, "last")
        asyncio.run(lifespan())
        handler.flush()
        assert _request_ids(stream) == ["last"]
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


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
    token = request_id_var.set("req-42")
    try:
        line = JsonFormatter().format(_record("insert failed", exc_info))
    finally:
        request_id_var.reset(token)
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
    token = request_id_var.set("req-43")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    assert "[req-43] hello" in PlainFormatter().format(record)
    assert "[-] outside" in PlainFormatter().format(_record("outside"))


def _access_record() -> AccessRecord:
    return AccessRecord(
        "veteran_care.access", "GET", '/odd "route"/{id}', 200, 1.5, "req-44", __file__
    )


@pytest.mark.parametrize("lookups", [True, False], ids=["default", "configured"])
def test_an_access_record_is_an_ordinary_record_and_its_line_the_general_one(
    lookups: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for flag in ("logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, flag, lookups)
    logger = logging.getLogger("veteran_care.access")
    fast = _access_record()
    usual = logger.makeRecord(
        logger.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %d %.1fms",
        ("GET", fast.route, 200, 1.5),
        None,
        "access",
        {"method": "GET", "route": fast.route, "status": 200, "duration_ms": 1.5},
    )
    usual.request_id = "req-44"
    timed = {"created", "msecs", "relativeCreated"}
    assert {k: v for k, v in vars(fast).items() if k not in timed} == {
        k: v for k, v in vars(usual).items() if k not in timed
    }
    assert abs(fast.created - usual.created) < 1
    assert abs(fast.relativeCreated - usual.relativeCreated) < 1000
    assert fast.msecs == int((fast.created % 1) * 1000)
    # The JSON formatter's own line for access records, against its general path.
    general = JsonFormatter().format(logging.makeLogRecord(vars(fast)))
    assert JsonFormatter().format(fast) == general
    assert json.loads(general)["route"] == '/odd "route"/{id}'
    assert PlainFormatter().format(fast).endswith('[req-44] GET /odd "route"/{id} 200 1.5ms')
    # An attribute added on the way (a filter's) is written, as for any record.
    filtered = _access_record()
    filtered.tenant = "province-11"  # type: ignore[attr-defined]
    assert json.loads(JsonFormatter().format(filtered))["tenant"] == "province-11"


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
        assert [type(h.formatter) for h in root.handlers] == [PlainFormatter]
