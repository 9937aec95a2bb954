"""The one authorization dependency, ``allow(permission)``: the bearer token, the account (a
deactivated or logged-out one is refused at once), the permission (an OAuth2 scope in the
OpenAPI document) against the role matrix; it returns the ``Actor``."""

from typing import Annotated, Any

from asgi_correlation_id import correlation_id
from fastapi import Depends, Request, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from veteran_care.auth import tokens
from veteran_care.auth.account import read_principal
from veteran_care.auth.permissions import NATION_WIDE, Permission, describe, is_allowed
from veteran_care.auth.principal import Actor
from veteran_care.errors import DomainError, Message

TOKEN_URL = "/api/v1/auth/token"

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    scopes={p.value: describe(p) for p in Permission},
    description=(
        "Log in with username and password (users) or client credentials (the department's "
        "systems). Scopes name the permission an operation needs; they are granted by the "
        "account's roles, not by the scopes asked for."
    ),
    auto_error=False,
)


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"

    def __init__(self, detail: str, error: str | None = None) -> None:
        challenge = "Bearer" if error is None else f'Bearer error="{error}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


def request_actor(request: Request) -> Actor:
    """The caller as far as known (used for anonymous auditing, e.g. failed logins)."""
    route = request.scope.get("route")
    return Actor(
        principal=getattr(request.state, "principal", None),
        request_id=correlation_id.get(),
        client_address=request.client.host if request.client else None,
        operation=getattr(route, "name", None),
    )


async def current_actor(
    security_scopes: SecurityScopes,
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    if not token:
        raise Unauthorized("Authentication required: send a bearer token from /api/v1/auth/token.")
    try:
        claims = tokens.decode_access_token(request.app.state.settings.secret_key, token)
    except tokens.InvalidToken as exc:
        raise Unauthorized(
            "The access token is not valid (malformed, expired or not ours).", "invalid_token"
        ) from exc
    principal = await read_principal(request.app.state.account_sessionmaker, claims)
    if principal is None:
        raise Unauthorized(
            "The access token was revoked or its account is inactive.", "invalid_token"
        )
    request.state.principal = principal
    for scope in security_scopes.scopes:
        if not is_allowed(principal.roles, Permission(scope)):
            raise Forbidden(Message("Your roles do not allow {scope}.", scope=scope))
        if principal.nation_wide and Permission(scope) not in NATION_WIDE:
            raise Forbidden(Message("Nation-wide accounts read reports, not {scope}.", scope=scope))
    return request_actor(request)


def allow(permission: Permission) -> Any:
    """`actor: Annotated[Actor, allow(Permission.x)]` on every guarded operation."""
    return Security(current_actor, scopes=[permission.value])
