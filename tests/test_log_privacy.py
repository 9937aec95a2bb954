"""No personal data or secrets in any log line, whatever the requests carried."""

import logging

import httpx
import pytest

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
