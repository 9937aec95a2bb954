"""The admission limit: at most N requests worked on at once, the rest in turn, 503 after a wait."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from starlette.types import Message, Receive, Scope, Send

from veteran_care.config import Settings
from veteran_care.errors import PROBLEM_MEDIA_TYPE
from veteran_care.main import create_app
from veteran_care.web.intake import IntakeMiddleware
from veteran_care.web.stack import FREE_PATHS


class Work:
    """A plain ASGI app whose requests wait for the test's word before answering.

    ``POST`` reads its whole body first; ``/stream`` starts its answer, then waits before the
    rest of its body; ``/crash`` raises."""

    def __init__(self) -> None:
        self.active = 0
        self.most_active = 0
        self.started: list[str] = []
        self.finished: list[str] = []
        self.go: dict[str, asyncio.Event] = {}

    def release(self, name: str) -> None:
        self.go.setdefault(name, asyncio.Event()).set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path"].rsplit("/", 1)[-1]
        if scope["method"] == "POST":
            more = True
            while more:
                message = await receive()
                more = message.get("more_body", False)
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        self.started.append(name)
        try:
            if name == "crash":
                raise RuntimeError("boom")
            start = {"type": "http.response.start", "status": 200, "headers": []}
            if scope["path"].startswith("/stream/"):
                await send(start)
                await self.go.setdefault(name, asyncio.Event()).wait()
                await send({"type": "http.response.body", "body": b"streamed"})
                return
            await self.go.setdefault(name, asyncio.Event()).wait()
            await send(start)
            await send({"type": "http.response.body", "body": name.encode()})
        finally:
            self.active -= 1
            self.finished.append(name)


def _client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
def work() -> Work:
    return Work()


BODY_LIMIT = 1_000_000


def limited(work: Work, limit: int, wait: float = 5.0) -> IntakeMiddleware:
    return IntakeMiddleware(work, BODY_LIMIT, limit, wait, free_paths={"/healthz"})


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until ``condition`` holds (they have no event to tell us)."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.001)


def in_background(call: Awaitable[httpx.Response]) -> "asyncio.Task[httpx.Response]":
    async def run() -> httpx.Response:
        return await call

    return asyncio.create_task(run())


async def test_no_more_than_the_limit_are_worked_on_at_once(work: Work) -> None:
    gate = limited(work, 2)
    async with _client(gate) as client:
        tasks = [in_background(client.get(f"/r/{i}")) for i in range(6)]
        await until(lambda: len(work.started) == 2 and gate._waiting == 4)
        for i in range(6):
            work.release(str(i))
        responses = await asyncio.gather(*tasks)
    assert [r.status_code for r in responses] == [200] * 6
    assert work.most_active == 2
    assert gate._active == 0
    assert gate._waiting == 0


async def test_waiting_requests_are_served_in_their_order_of_arrival(work: Work) -> None:
    gate = limited(work, 1)
    async with _client(gate) as client:
        first = in_background(client.get("/r/first"))
        await until(lambda: work.started == ["first"])
        waiting = []
        for i in range(4):
            waiting.append(in_background(client.get(f"/r/{i}")))
            await until(lambda: gate._waiting == len(waiting))
        for name in ["3", "1", "2", "0", "first"]:  # released in another order
            work.release(name)
        await asyncio.gather(first, *waiting)
    assert work.started == ["first", "0", "1", "2", "3"]


async def test_a_request_that_waits_too_long_gets_a_503_problem(work: Work) -> None:
    gate = limited(work, 1, wait=0.05)
    async with _client(gate) as client:
        first = in_background(client.get("/r/first"))
        await until(lambda: work.started == ["first"])
        refused = await client.get("/r/second")
        assert refused.status_code == 503
        assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["code"] == "busy"
        work.release("first")
        assert (await first).status_code == 200
        work.release("third")
        assert (await client.get("/r/third")).status_code == 200  # the place was given back
    assert "second" not in work.started


async def test_a_body_is_received_before_the_request_waits_for_its_turn(work: Work) -> None:
    """A slow upload holds no place while its bytes arrive."""
    gate = limited(work, 1)
    more_body = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b"part one, "
        await more_body.wait()
        yield b"part two"

    async with _client(gate) as client:
        upload = in_background(client.post("/r/upload", content=slow_body()))
        await asyncio.sleep(0.01)
        work.release("quick")
        quick = await client.get("/r/quick")  # not held back by the upload
        assert quick.status_code == 200
        holder = in_background(client.get("/r/holder"))
        await until(lambda: "holder" in work.started)
        more_body.set()
        await until(lambda: gate._waiting == 1)  # the upload, complete, now waits its turn
        assert "upload" not in work.started
        work.release("holder")
        work.release("upload")
        assert (await holder).status_code == 200
        assert (await upload).status_code == 200


async def test_a_refused_body_gets_the_503_and_not_the_app_answer(work: Work) -> None:
    gate = limited(work, 1, wait=0.05)
    async with _client(gate) as client:
        first = in_background(client.get("/r/first"))
        await until(lambda: work.started == ["first"])
        refused = await client.post("/r/late", json={"a": 1})
        work.release("first")
        await first
    assert refused.status_code == 503
    assert refused.json()["code"] == "busy"
    assert "late" not in work.started
    assert gate._active == 0


async def test_a_streamed_body_goes_on_outside_the_limit(work: Work) -> None:
    gate = limited(work, 1)
    async with _client(gate) as client:
        export = in_background(client.get("/stream/export"))
        await until(lambda: "export" in work.started)
        work.release("next")
        served = await client.get("/r/next")  # while the export's body is still to come
        assert served.status_code == 200
        work.release("export")
        assert (await export).text == "streamed"


async def test_a_failing_request_gives_its_place_back(work: Work) -> None:
    gate = limited(work, 1, wait=0.5)
    async with _client(gate) as client:
        assert (await client.get("/r/crash")).status_code == 500
        work.release("after")
        assert (await client.get("/r/after")).status_code == 200
    assert gate._active == 0


async def test_free_paths_are_never_held_back(work: Work) -> None:
    gate = limited(work, 1, wait=0.05)
    async with _client(gate) as client:
        first = in_background(client.get("/r/first"))
        await until(lambda: work.started == ["first"])
        work.release("healthz")
        assert (await client.get("/healthz")).status_code == 200
        work.release("first")
        await first


async def test_lifespan_and_other_scopes_pass_through(work: Work) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    gate = IntakeMiddleware(app, BODY_LIMIT, 1, 1.0)

    async def nothing() -> Message:
        return {"type": "lifespan.startup"}

    async def ignore(message: Message) -> None:
        return None

    await gate({"type": "lifespan"}, nothing, ignore)
    assert seen == ["lifespan"]


def test_the_gauges_report_active_and_waiting_requests(work: Work) -> None:
    registry = CollectorRegistry()
    registry.register(limited(work, 3))
    exposed = generate_latest(registry).decode()
    assert "veteran_care_requests_active 0.0" in exposed
    assert "veteran_care_requests_waiting 0.0" in exposed


async def test_the_app_is_limited_by_the_settings(
    settings: Settings, engine: Any, sessionmaker: Any
) -> None:
    for limit, expected in [(3, True), (0, False)]:
        app = create_app(settings.model_copy(update={"max_active_requests": limit}))
        app.state.engine, app.state.sessionmaker = engine, sessionmaker
        app.state.account_sessionmaker = sessionmaker
        async with _client(app) as client:
            metrics = (await client.get("/metrics")).text
        assert ("veteran_care_requests_active" in metrics) is expected


async def test_a_busy_answer_is_documented_on_every_limited_operation(settings: Settings) -> None:
    document = create_app(settings).openapi()
    described = {
        operation["responses"]["503"]["description"]
        for path, operations in document["paths"].items()
        if path not in FREE_PATHS
        for operation in operations.values()
        if "503" in operation.get("responses", {})
    }
    assert described
    assert all("concurrent requests" in text for text in described), json.dumps(sorted(described))


async def test_the_project_answers_busy_as_a_problem_and_under_fhir_as_an_outcome(
    settings: Settings, engine: Any, sessionmaker: Any
) -> None:
    app = create_app(
        settings.model_copy(update={"max_active_requests": 1, "admission_wait_seconds": 0.05})
    )
    app.state.engine, app.state.sessionmaker = engine, sessionmaker
    app.state.account_sessionmaker = sessionmaker
    hold = asyncio.Event()

    async def held() -> dict[str, str]:
        await hold.wait()
        return {}

    app.add_api_route("/test/held", held, methods=["GET"])
    async with _client(app) as client:
        holder = in_background(client.get("/test/held"))
        await asyncio.sleep(0.01)
        api = await client.get("/api/v1/beneficiaries")
        fhir = await client.get("/fhir/r4/Patient")
        ready = await client.get("/healthz")
        hold.set()
        assert (await holder).status_code == 200
    assert api.status_code == 503
    assert api.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert api.json()["code"] == "busy"
    assert api.headers["retry-after"] == "1"
    assert fhir.status_code == 503
    assert fhir.headers["content-type"].startswith("application/fhir+json")
    assert fhir.json()["resourceType"] == "OperationOutcome"
    assert fhir.json()["issue"][0]["code"] == "transient"
    assert ready.status_code == 200
