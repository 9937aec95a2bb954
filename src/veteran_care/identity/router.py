"""/api/v1/auth (token, logout, me), /api/v1/users and /api/v1/clients."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Header, Request, Response, status

from veteran_care.auth.dependencies import allow, request_actor
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import PROBLEM_MEDIA_TYPE, problem_response, problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.identity import logins, repository, service
from veteran_care.identity.client_basic import basic_credentials
from veteran_care.identity.schemas import (
    AccountUpdate,
    ClientCreate,
    ClientRead,
    ClientSecret,
    Me,
    PasswordChange,
    PasswordReset,
    Token,
    UserCreate,
    UserRead,
)
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.kit.problem_examples import problem_example
from veteran_care.models import Account, AccountKind, Role

router = APIRouter(route_class=IdempotentRoute, tags=["identity"])

Admin = Annotated[Actor, allow(Permission.accounts_manage)]
Self = Annotated[Actor, allow(Permission.self)]
IdempotentAdmin = Annotated[Actor, idempotent(Permission.accounts_manage)]
IfMatch = Annotated[str | None, Header(max_length=200, description="ETag of your last read.")]

TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "invalid_grant / invalid_request: wrong credentials or refresh token.",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "examples": {
                    "invalid_grant": problem_example(
                        400,
                        "invalid_grant",
                        "A wrong login or password",
                        logins.WRONG_CREDENTIALS,
                        "/api/v1/auth/token",
                        error="invalid_grant",
                    )
                },
            }
        },
    },
    429: {
        "description": (
            "`login-delayed`: too many failed logins for this name from the caller's address; "
            "retry after `Retry-After` seconds. Other addresses are not slowed down."
        ),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
}

PASSWORD_CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": (
            "`wrong-password`: the current password is wrong; `not-a-user`: a machine client "
            "has no password."
        ),
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "examples": {
                    "wrong-password": problem_example(
                        403,
                        "wrong-password",
                        "A wrong current password",
                        logins.WRONG_PASSWORD,
                        "/api/v1/auth/password",
                    )
                },
            }
        },
    },
    429: TOKEN_ERRORS[429],
}


def _account_fields(account: Account) -> dict[str, Any]:
    """What users and clients show alike: roles, scope, state and version."""
    return {
        "id": account.id,
        "roles": [Role(r) for r in account.roles],
        "province_wide": account.province_wide,
        "facility_ids": [f.facility_id for f in account.facilities],
        "province_codes": list(account.province_codes or []),
        "nation_wide": account.nation_wide,
        "active": account.active,
        "version": account.version,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


def user_read(account: Account) -> UserRead:
    return UserRead(
        username=account.login, full_name=account.display_name, **_account_fields(account)
    )


def client_read(account: Account) -> ClientRead:
    return ClientRead(
        client_id=account.login, name=account.display_name, **_account_fields(account)
    )


def form_text(description: str) -> Any:
    """A text field of the token form: at most 512 characters, no NUL."""
    return Form(max_length=512, pattern=r"^[^\x00]*$", description=description)


@router.post(
    "/auth/token",
    response_model=Token,
    summary="Log in: get an access token (OAuth2 password, client-credentials or refresh grant)",
    description=(
        "Form-encoded, as OAuth2 says. `grant_type=password` with `username` and `password` "
        "(staff); `client_credentials` with `client_id` and `client_secret` in the form or in "
        "HTTP Basic, `Authorization: Basic base64(client_id:client_secret)` (the department's "
        "systems); `refresh_token` with `refresh_token` (rotates "
        "it). After 5 failed logins of one name from one address, that address waits before "
        "each further attempt for that name (1 s, doubling, at most 15 minutes: 429 with "
        "`Retry-After`); other addresses, and the name's owner, are not slowed down."
    ),
    responses=TOKEN_ERRORS | problem_responses(),
    # The form is always needed (an empty one is refused: `invalid_request`); the fields'
    # defaults only make FastAPI take it for optional. Public: `security: []` (a machine
    # client's HTTP Basic is read from the headers; identity.client_basic says why).
    openapi_extra={"requestBody": {"required": True}},
)
async def issue_token(
    request: Request,
    session: WriteSession,
    grant_type: Annotated[
        Literal["password", "client_credentials", "refresh_token"],
        Form(description="password (staff), client_credentials (machines) or refresh_token."),
    ] = "password",
    username: Annotated[str | None, form_text("Staff login name (grant_type=password).")] = None,
    password: Annotated[str | None, form_text("Staff password (grant_type=password).")] = None,
    client_id: Annotated[
        str | None, form_text("Machine client id (client_credentials), or in HTTP Basic.")
    ] = None,
    client_secret: Annotated[
        str | None, form_text("Machine client secret (client_credentials), or in HTTP Basic.")
    ] = None,
    refresh_token: Annotated[
        str | None, form_text("The refresh token to exchange (grant_type=refresh_token).")
    ] = None,
    scope: Annotated[
        str | None, form_text("Accepted for OAuth2 clients that send it; not used.")
    ] = None,
) -> Any:
    settings = request.app.state.settings
    actor = request_actor(request)
    result: Token | service.Refusal
    if grant_type == "password":
        if not username or not password:
            return problem_response(
                request,
                400,
                "invalid_request",
                "username and password are required.",
                error="invalid_request",
            )
        result = await logins.login(session, settings, actor, AccountKind.user, username, password)
    elif grant_type == "client_credentials":
        credentials = basic_credentials(request.headers.get("authorization"))
        if credentials is None and client_id and client_secret:
            credentials = (client_id, client_secret)
        if credentials is None:
            return problem_response(
                request,
                400,
                "invalid_request",
                "client_id and client_secret are required.",
                error="invalid_request",
            )
        result = await logins.login(session, settings, actor, AccountKind.client, *credentials)
    else:
        if not refresh_token:
            return problem_response(
                request,
                400,
                "invalid_request",
                "refresh_token is required.",
                error="invalid_request",
            )
        result = await service.refresh(session, settings, actor, refresh_token)
    if isinstance(result, service.Refusal):
        # The failure (throttle count, audit rows) is committed with the session: no raise.
        return problem_response(
            request,
            result.status,
            result.code,
            result.detail,
            headers=result.headers,
            error="invalid_grant" if result.status == 400 else "access_denied",
        )
    return result


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out: revoke every token of the calling account",
    responses=problem_responses(),
)
async def logout(actor: Self, session: WriteSession) -> None:
    await service.logout(session, actor)


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change your own password (needs the current one; revokes your tokens)",
    description=(
        "Users only. The current password is required (422 when missing, 403 `wrong-password` "
        "when wrong) and checked like a login: repeated failures from one address make it "
        "wait (429). Every token of the account stops working, this one included: log in "
        "again with the new password. An admin resets another user's password with "
        "`POST /users/{user_id}/password`, without the old one."
    ),
    responses=PASSWORD_CHANGE_ERRORS | problem_responses(),
)
async def change_own_password(
    request: Request, data: PasswordChange, actor: Self, session: WriteSession
) -> Response:
    refusal = await logins.change_own_password(session, request.app.state.settings, actor, data)
    if refusal is not None:
        # The failure (throttle count, audit rows) is committed with the session: no raise.
        return problem_response(
            request, refusal.status, refusal.code, refusal.detail, headers=refusal.headers
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", summary="Who am I: the calling account", responses=problem_responses())
async def me(actor: Self) -> Me:
    principal = actor.require()
    return Me(
        id=principal.account_id,
        kind=principal.kind,
        login=principal.login,
        roles=sorted(principal.roles),
        province_wide=principal.province_wide,
        facility_ids=sorted(principal.facility_ids),
        province_codes=sorted(principal.province_codes),
        nation_wide=principal.nation_wide,
    )


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    summary="Create a staff user",
    responses=problem_responses(403, 409),
)
async def create_user(
    data: UserCreate, actor: IdempotentAdmin, session: WriteSession, response: Response
) -> UserRead:
    account = await service.create_user(session, actor, data)
    set_etag(response, account.version)
    response.headers["Location"] = f"/api/v1/users/{account.id}"
    return user_read(account)


@router.get("/users", summary="List staff users", responses=problem_responses(403))
async def list_users(
    actor: Admin,
    session: ReadSession,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[UserRead]:
    rows, next_cursor = await repository.list_accounts(
        session, AccountKind.user, cursor=cursor, limit=limit
    )
    return Page(items=[user_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/users/{user_id:uuid}",
    summary="Read a staff user",
    responses=problem_responses(403, 404) | sends_etag(),
)
async def get_user(
    user_id: uuid.UUID, actor: Admin, session: ReadSession, response: Response
) -> UserRead:
    account = await service.get_account(session, user_id, AccountKind.user)
    set_etag(response, account.version)
    return user_read(account)


@router.patch(
    "/users/{user_id:uuid}",
    summary="Update or deactivate a staff user (needs If-Match)",
    responses=problem_responses(403, 404, 409, 412, 428),
)
async def update_user(
    user_id: uuid.UUID,
    data: AccountUpdate,
    actor: Admin,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> UserRead:
    account = await service.update_account(
        session, actor, user_id, AccountKind.user, data, if_match
    )
    set_etag(response, account.version)
    return user_read(account)


@router.post(
    "/users/{user_id:uuid}/password",
    summary="Reset another user's password (revokes the user's tokens)",
    description=(
        "An admin sets a new password without the old one. Not for one's own account (403 "
        "`own-secret`): change it with `POST /auth/password`, giving the current one."
    ),
    responses=problem_responses(403, 404),
)
async def reset_password(
    user_id: uuid.UUID, data: PasswordReset, actor: Admin, session: WriteSession
) -> UserRead:
    account, _ = await service.set_secret(session, actor, user_id, AccountKind.user, data.password)
    return user_read(account)


@router.post(
    "/clients",
    status_code=status.HTTP_201_CREATED,
    summary="Register a machine client (its secret is shown once)",
    responses=problem_responses(403, 409),
)
async def create_client(
    data: ClientCreate, actor: Admin, session: WriteSession, response: Response
) -> ClientSecret:
    account, secret = await service.create_client(session, actor, data)
    set_etag(response, account.version)
    response.headers["Location"] = f"/api/v1/clients/{account.id}"
    return ClientSecret(**client_read(account).model_dump(), client_secret=secret)


@router.get("/clients", summary="List machine clients", responses=problem_responses(403))
async def list_clients(
    actor: Admin,
    session: ReadSession,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[ClientRead]:
    rows, next_cursor = await repository.list_accounts(
        session, AccountKind.client, cursor=cursor, limit=limit
    )
    return Page(items=[client_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/clients/{client_id:uuid}",
    summary="Read a machine client",
    responses=problem_responses(403, 404) | sends_etag(),
)
async def get_client(
    client_id: uuid.UUID, actor: Admin, session: ReadSession, response: Response
) -> ClientRead:
    account = await service.get_account(session, client_id, AccountKind.client)
    set_etag(response, account.version)
    return client_read(account)


@router.patch(
    "/clients/{client_id:uuid}",
    summary="Update or deactivate a machine client (needs If-Match)",
    responses=problem_responses(403, 404, 409, 412, 428),
)
async def update_client(
    client_id: uuid.UUID,
    data: AccountUpdate,
    actor: Admin,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> ClientRead:
    account = await service.update_account(
        session, actor, client_id, AccountKind.client, data, if_match
    )
    set_etag(response, account.version)
    return client_read(account)


@router.post(
    "/clients/{client_id:uuid}/secret",
    summary="Rotate a machine client's secret (shown once; old tokens stop working)",
    responses=problem_responses(403, 404),
)
async def rotate_client_secret(
    client_id: uuid.UUID, actor: Admin, session: WriteSession
) -> ClientSecret:
    account, secret = await service.set_secret(session, actor, client_id, AccountKind.client, None)
    return ClientSecret(**client_read(account).model_dump(), client_secret=secret)
