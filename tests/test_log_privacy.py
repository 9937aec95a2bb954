"""No personal data or secrets in any log line, whatever the requests carried."""

import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace

from veteran_care.config import Settings
from veteran_care.main import create_app
from veteran_care.models import Role

NAME = "Hờ A Chống"
CCCD = "011052987654"
BHXH = "1187654321"
CARD = "CK2111187654321"
PASSWORD = "correct horse battery staple"


async def test_logs_carry_no_names_ids_card_numbers_or_tokens(
    anon_client: httpx.AsyncClient, make_account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await make_account(Role.admin, Role.scheduler, login="log.checker")
    login = await anon_client.post(
        "/api/v1/auth/token", data={"username": "log.checker", "password": PASSWORD}
    )
    tokens = login.json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    created = await anon_client.post(
        "/api/v1/beneficiaries",
        headers=headers,
        json={
            "full_name": NAME,
            "birth_year": 1952,
            "sex": "male",
            "national_id": CCCD,
            "bhxh_number": BHXH,
            "categories": [{"code": "wounded-soldier", "disability_rate": 41}],
        },
    )
    person = created.json()["id"]
    await anon_client.post(
        f"/api/v1/beneficiaries/{person}/cards",
        headers=headers,
        json={
            "number": CARD,
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "registration_facility_code": "11001",
        },
    )
    for q in (CCCD, BHXH, CARD, NAME, "ho a chong"):
        await anon_client.get("/api/v1/beneficiaries", headers=headers, params={"q": q})
    await anon_client.get(f"/api/v1/beneficiaries/{person}", headers=headers)
    await anon_client.post(
        "/api/v1/beneficiaries", headers=headers, json={"full_name": NAME, "national_id": CCCD}
    )
    await anon_client.post(
        "/api/v1/auth/token", data={"username": "log.checker", "password": "wrong " + PASSWORD}
    )
    await anon_client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    await anon_client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not.a.token"})

    # The test's own HTTP client (httpx) logs its URLs; everything else is the server's.
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    lines = [record.getMessage() for record in server]
    assert any(" /api/v1/beneficiaries" in line for line in lines), "no access lines captured"
    text = "\n".join(lines)
    secrets = [NAME, "ho a chong", CCCD, BHXH, CARD, PASSWORD, person]
    secrets += [tokens["access_token"], tokens["refresh_token"], "not.a.token"]
    for secret in secrets:
        assert secret not in text, f"{secret!r} reached the logs"


class _RecordingTracerProvider(trace.TracerProvider):
    """An OpenTelemetry provider as a deployment might configure one: it notes every tracer
    asked of it."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_tracer(self, instrumenting_module_name: str, *args: Any, **kwargs: Any) -> Any:
        self.asked.append(instrumenting_module_name)
        return trace.NoOpTracer()


async def test_fastapi_sends_nothing_to_a_configured_opentelemetry_provider(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FastAPI's native telemetry would hand request bodies (names, ID numbers) to it."""
    provider = _RecordingTracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)

    async def post(app: FastAPI, body: dict[str, str]) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await client.post("/api/v1/beneficiaries", json=body)

    plain = FastAPI()

    @plain.post("/api/v1/beneficiaries")
    async def register(body: dict[str, str]) -> dict[str, str]:
        return body

    await post(plain, {"full_name": NAME})
    assert provider.asked, "FastAPI's telemetry is not what this test expects any more"
    provider.asked.clear()
    await post(create_app(settings), {"full_name": NAME})
    assert provider.asked == []
