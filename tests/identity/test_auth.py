"""Logins, tokens, refresh rotation, logout, deactivation, machine clients (the throttle of
failed logins: test_throttle.py)."""

import base64
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.test_conventions import assert_problem
from veteran_care.auth import tokens
from veteran_care.config import Settings
from veteran_care.identity.tokens import issue_access_token
from veteran_care.models import AccountKind, Role

TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "correct horse battery staple"


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_password_login_gives_tokens_that_work(anon_client, make_account) -> None:
    account = await make_account(Role.scheduler, login="nguyen.an")
    response = await login(anon_client, "Nguyen.An", PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_token"]
    me = await anon_client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(account.id)
    assert me.json()["roles"] == ["scheduler"]


async def test_wrong_password_and_unknown_user_answer_alike(anon_client, make_account) -> None:
    await make_account(Role.scheduler, login="lo.van.pom")
    wrong = await login(anon_client, "lo.van.pom", "not the password")
    unknown = await login(anon_client, "nobody.here", "not the password")
    for response in (wrong, unknown):
        body = assert_problem(response, 400, "invalid_grant")
        assert body["error"] == "invalid_grant"
    assert wrong.json()["detail"] == unknown.json()["detail"]


def _claims(account_id: uuid.UUID, **overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "sub": str(account_id),
        "iat": now.timestamp(),
        "nbf": int(now.timestamp()) - 1,
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    claims.update(overrides)
    return claims


async def test_eight_kinds_of_bad_token_are_all_401(
    anon_client, make_account, settings: Settings
) -> None:
    account = await make_account(Role.admin)
    secret = settings.secret_key
    now = datetime.now(UTC)
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = (
        base64.urlsafe_b64encode(
            jwt.api_jws.json.dumps(_claims(account.id)).encode()  # type: ignore[attr-defined]
        )
        .rstrip(b"=")
        .decode()
    )
    bad = {
        "alg none": f"{header}.{payload}.",
        "wrong algorithm": jwt.encode(_claims(account.id), secret, algorithm="HS512"),
        "bad signature": jwt.encode(_claims(account.id), "another-secret-" * 3, algorithm="HS256"),
        "expired": jwt.encode(
            _claims(account.id, exp=int((now - timedelta(minutes=1)).timestamp())), secret
        ),
        "future nbf": jwt.encode(
            _claims(account.id, nbf=int((now + timedelta(minutes=5)).timestamp())), secret
        ),
        "wrong aud": jwt.encode(_claims(account.id, aud="someone-else"), secret),
        "wrong iss": jwt.encode(_claims(account.id, iss="someone-else"), secret),
    }
    good = jwt.encode(_claims(account.id), secret)
    assert (await anon_client.get("/api/v1/auth/me", headers=bearer(good))).status_code == 200
    assert (await anon_client.post("/api/v1/auth/logout", headers=bearer(good))).status_code == 204
    bad["revoked"] = good
    for name, token in bad.items():
        response = await anon_client.get("/api/v1/auth/me", headers=bearer(token))
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"].startswith("Bearer"), name


def test_a_remembered_token_still_expires_and_is_remembered_for_its_own_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "s" * 64
    token = issue_access_token(secret, uuid.uuid4(), datetime.now(UTC), minutes=1)
    tokens.decode_access_token(secret, token)  # verified and remembered
    with pytest.raises(tokens.InvalidToken):
        tokens.decode_access_token("another-secret-" * 3, token)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    monkeypatch.setattr(tokens.time, "time", lambda: float(expires))
    with pytest.raises(tokens.InvalidToken):
        tokens.decode_access_token(secret, token)


async def test_no_token_is_401(anon_client) -> None:
    response = await anon_client.get("/api/v1/beneficiaries")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_refresh_rotates_and_an_old_refresh_token_is_refused(
    anon_client, make_account
) -> None:
    await make_account(Role.scheduler, login="vang.thi.do")
    first = (await login(anon_client, "vang.thi.do", PASSWORD)).json()
    second = await anon_client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = await anon_client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert_problem(reused, 400, "invalid_grant")
    # Reuse of a rotated token means it was stolen: the whole family is revoked.
    third = await anon_client.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": second.json()["refresh_token"]},
    )
    assert_problem(third, 400, "invalid_grant")


async def test_logout_revokes_access_and_refresh_tokens(anon_client, make_account) -> None:
    await make_account(Role.scheduler, login="thao.a.lu")
    pair = (await login(anon_client, "thao.a.lu", PASSWORD)).json()
    headers = bearer(pair["access_token"])
    assert (await anon_client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await anon_client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    refreshed = await anon_client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 400
    again = await login(anon_client, "thao.a.lu", PASSWORD)
    assert (
        await anon_client.get("/api/v1/auth/me", headers=bearer(again.json()["access_token"]))
    ).status_code == 200


async def test_a_deactivated_users_token_stops_working_at_once(client, client_for) -> None:
    user = await client_for(Role.scheduler)
    assert (await user.get("/api/v1/auth/me")).status_code == 200
    response = await client.patch(
        f"/api/v1/users/{user.account.id}", json={"active": False}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert (await user.get("/api/v1/auth/me")).status_code == 401


async def test_password_reset_revokes_tokens(client, client_for) -> None:
    user = await client_for(Role.clinician)
    response = await client.post(
        f"/api/v1/users/{user.account.id}/password", json={"password": "a new long password"}
    )
    assert response.status_code == 200, response.text
    assert "password" not in response.text.lower().replace("/password", "")
    assert (await user.get("/api/v1/auth/me")).status_code == 401


async def test_machine_client_credentials(client, anon_client) -> None:
    created = await client.post(
        "/api/v1/clients",
        json={
            "client_id": "so-noi-vu",
            "name": "Sở Nội vụ",
            "roles": ["reporter"],
            "province_wide": True,
        },
    )
    assert created.status_code == 201, created.text
    secret = created.json()["client_secret"]
    form = await anon_client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": "so-noi-vu",
            "client_secret": secret,
        },
    )
    assert form.status_code == 200, form.text
    assert form.json()["refresh_token"] is None
    basic = base64.b64encode(f"so-noi-vu:{secret}".encode()).decode()
    via_basic = await anon_client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert via_basic.status_code == 200, via_basic.text
    me = await anon_client.get("/api/v1/auth/me", headers=bearer(via_basic.json()["access_token"]))
    assert me.json()["kind"] == "client"
    listed = await client.get(f"/api/v1/clients/{created.json()['id']}")
    assert "client_secret" not in listed.json()
    # A user's password does not open a client, nor the other way round.
    wrong_kind = await login(anon_client, "so-noi-vu", secret)
    assert_problem(wrong_kind, 400, "invalid_grant")


async def test_secrets_are_stored_hashed(client, session: AsyncSession) -> None:
    response = await client.post(
        "/api/v1/users",
        json={
            "username": "bui.thi.hoa",
            "full_name": "Bùi Thị Hoa",
            "password": "mật khẩu rất dài 2027",
            "roles": ["clinician"],
            "province_wide": True,
        },
    )
    assert response.status_code == 201, response.text
    assert "password" not in response.json()
    from veteran_care.models import Account

    stored = await session.scalar(select(Account.secret_hash).where(Account.login == "bui.thi.hoa"))
    assert stored is not None
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_the_last_admin_cannot_be_removed(client, session: AsyncSession) -> None:
    from sqlalchemy import update

    from veteran_care.models import Account

    me = client.account
    # Make this the only active province-wide admin user.
    await session.execute(
        update(Account)
        .where(Account.id != me.id, Account.kind == AccountKind.user)
        .values(active=False)
    )
    await session.commit()
    response = await client.patch(
        f"/api/v1/users/{me.id}", json={"active": False}, headers={"If-Match": '"1"'}
    )
    assert_problem(response, 409, "last-admin")


@pytest.mark.parametrize("grant", ["password", "client_credentials", "refresh_token"])
async def test_missing_grant_fields_are_400(anon_client, grant: str) -> None:
    response = await anon_client.post(TOKEN_URL, data={"grant_type": grant})
    assert_problem(response, 400, "invalid_request")


async def test_openapi_offers_the_password_flow_for_the_authorize_button(anon_client) -> None:
    schema = (await anon_client.get("/openapi.json")).json()
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == TOKEN_URL
