"""Passwords: one's own is changed with the current one; an admin resets another's without it."""

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.test_conventions import assert_problem
from veteran_care.models import AccountKind, AuditEvent, Role

TOKEN_URL = "/api/v1/auth/token"
CHANGE_URL = "/api/v1/auth/password"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new long passphrase"


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
    )


async def test_changing_ones_own_password_needs_the_current_one(
    client_for, anon_client, session: AsyncSession
) -> None:
    user = await client_for(Role.clinician)
    missing = await user.post(CHANGE_URL, json={"new_password": NEW_PASSWORD})
    body = assert_problem(missing, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body.current_password"]
    wrong = await user.post(
        CHANGE_URL, json={"current_password": "not my password", "new_password": NEW_PASSWORD}
    )
    assert_problem(wrong, 403, "wrong-password")
    # Neither attempt changed anything: the old password still logs in.
    assert (await login(anon_client, user.account.login, PASSWORD)).status_code == 200
    assert (await user.get("/api/v1/auth/me")).status_code == 200

    changed = await user.post(
        CHANGE_URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204, changed.text
    # Every token of the account stops working, the caller's included.
    assert (await user.get("/api/v1/auth/me")).status_code == 401
    assert_problem(await login(anon_client, user.account.login, PASSWORD), 400, "invalid_grant")
    assert (await login(anon_client, user.account.login, NEW_PASSWORD)).status_code == 200
    actions = (
        await session.execute(
            select(AuditEvent.action, AuditEvent.status_code, AuditEvent.changed_fields).where(
                AuditEvent.actor_id == user.account.id
            )
        )
    ).all()
    assert ("login_failure", 403, None) in [tuple(a) for a in actions]
    assert ("update", None, ["secret"]) in [tuple(a) for a in actions]


async def test_the_new_password_must_differ_and_be_long_enough(client_for) -> None:
    user = await client_for(Role.scheduler)
    same = await user.post(
        CHANGE_URL, json={"current_password": PASSWORD, "new_password": PASSWORD}
    )
    assert_problem(same, 422, "validation-error")
    short = await user.post(CHANGE_URL, json={"current_password": PASSWORD, "new_password": "x"})
    assert_problem(short, 422, "validation-error")


async def test_guessing_the_current_password_is_throttled_like_a_login(client_for) -> None:
    user = await client_for(Role.scheduler)
    guess = {"current_password": "guess", "new_password": NEW_PASSWORD}
    statuses = [(await user.post(CHANGE_URL, json=guess)).status_code for _ in range(6)]
    assert statuses == [403, 403, 403, 403, 429, 429]
    refused = await user.post(
        CHANGE_URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert_problem(refused, 429, "login-delayed")
    assert refused.headers["retry-after"] == "1"


async def test_a_machine_client_has_no_password_to_change(client_for) -> None:
    machine = await client_for(Role.reporter, kind=AccountKind.client)
    response = await machine.post(
        CHANGE_URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert_problem(response, 403, "not-a-user")


async def test_an_admin_resets_another_users_password_without_the_old_one(
    client, client_for, anon_client
) -> None:
    user = await client_for(Role.pharmacist)
    response = await client.post(
        f"/api/v1/users/{user.account.id}/password", json={"password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert (await login(anon_client, user.account.login, NEW_PASSWORD)).status_code == 200
    assert (await user.get("/api/v1/auth/me")).status_code == 401


async def test_an_admin_cannot_reset_their_own_password_without_the_current_one(
    client: Any, anon_client
) -> None:
    me = client.account
    response = await client.post(f"/api/v1/users/{me.id}/password", json={"password": NEW_PASSWORD})
    body = assert_problem(response, 403, "own-secret")
    assert "/auth/password" in body["detail"]
    assert (await login(anon_client, me.login, PASSWORD)).status_code == 200
    changed = await client.post(
        CHANGE_URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204, changed.text
