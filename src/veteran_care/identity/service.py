"""Tokens (issue, refresh, logout) and account management. Logins themselves: ``logins``."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import Forbidden
from veteran_care.auth.principal import Actor, Principal
from veteran_care.config import Settings
from veteran_care.errors import Conflict, NotFound
from veteran_care.identity import repository, scope, tokens
from veteran_care.identity.passwords import generate_secret, hash_secret
from veteran_care.identity.schemas import (
    AccountUpdate,
    ClientCreate,
    Token,
    UserCreate,
)
from veteran_care.kit.clock import utcnow
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.models import (
    Account,
    AccountKind,
    RefreshToken,
    Role,
)


@dataclass(frozen=True)
class Refusal:
    """A refused grant: answered as a problem, after the failure has been recorded."""

    status: int
    code: str
    detail: str
    headers: dict[str, str] = field(default_factory=dict)


def _principal(account: Account) -> Principal:
    return Principal(
        account_id=account.id,
        kind=account.kind.value,
        login=account.login,
        roles=frozenset(Role(r) for r in account.roles),
        province_wide=account.province_wide,
        facility_ids=frozenset(f.facility_id for f in account.facilities),
        province_codes=frozenset(account.province_codes or ()),
        nation_wide=account.nation_wide,
    )


async def _issue(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    now: datetime,
    family_id: uuid.UUID | None,
) -> tuple[Token, uuid.UUID | None]:
    access = tokens.issue_access_token(
        settings.secret_key, account.id, now, settings.access_token_minutes
    )
    expires_in = settings.access_token_minutes * 60
    if account.kind != AccountKind.user:
        return Token(access_token=access, expires_in=expires_in), None
    refresh, refresh_hash = tokens.new_refresh_token()
    row_id = uuid.uuid4()
    session.add(
        RefreshToken(
            id=row_id,
            account_id=account.id,
            token_hash=refresh_hash,
            family_id=family_id or uuid.uuid4(),
            issued_at=now,
            expires_at=now + timedelta(days=settings.refresh_token_days),
        )
    )
    return Token(access_token=access, expires_in=expires_in, refresh_token=refresh), row_id


async def logged_in(
    session: AsyncSession, settings: Settings, actor: Actor, account: Account, now: datetime
) -> Token:
    """Tokens for an account that has just proved its secret (``logins``), audited."""
    token, _ = await _issue(session, settings, account, now, None)
    await audit.record(
        session, Actor(_principal(account), actor.request_id, actor.client_address), "login"
    )
    return token


async def refresh(
    session: AsyncSession, settings: Settings, actor: Actor, refresh_token: str
) -> Token | Refusal:
    """Rotate a refresh token. A token used twice revokes its whole family (it was stolen)."""
    now = utcnow()
    row = await repository.refresh_token(session, tokens.refresh_token_hash(refresh_token))
    invalid = Refusal(400, "invalid_grant", "The refresh token is not valid.")
    if row is None or row.expires_at <= now:
        return invalid
    account = await repository.get(session, row.account_id)
    if account is None or not account.active:
        return invalid
    account_actor = Actor(_principal(account), actor.request_id, actor.client_address)
    if row.revoked_at is not None:
        if row.replaced_by_id is not None:
            await repository.revoke_refresh_family(session, row.family_id, now)
            await audit.record(
                session,
                account_actor,
                "token_revoked",
                outcome="denied",
                detail="refresh token reused: its family is revoked",
            )
        return invalid
    token, new_id = await _issue(session, settings, account, now, row.family_id)
    row.revoked_at = now
    row.replaced_by_id = new_id
    await session.flush()
    return token


async def logout(session: AsyncSession, actor: Actor) -> None:
    """Revoke every token of the caller: access tokens issued until now and refresh tokens."""
    principal = actor.require()
    account = await get_account(session, principal.account_id, AccountKind(principal.kind))
    now = utcnow()
    account.tokens_valid_after = now
    await repository.revoke_refresh_tokens_of(session, account.id, now)
    await session.flush()
    await audit.record(
        session, actor, "token_revoked", resource_type="account", resource_id=account.id
    )


# Account management ------------------------------------------------------------------------


def _require_province_admin(actor: Actor) -> None:
    if not actor.require().province_wide:
        raise Forbidden("Managing accounts needs a province-wide admin.")


async def get_account(session: AsyncSession, account_id: uuid.UUID, kind: AccountKind) -> Account:
    account = await repository.get(session, account_id)
    if account is None or account.kind != kind:
        raise NotFound(
            Message("User {id} was not found.", id=account_id)
            if kind == AccountKind.user
            else Message("Client {id} was not found.", id=account_id)
        )
    return account


async def _ensure_login_free(session: AsyncSession, login: str, field_name: str) -> None:
    existing = await repository.by_login(session, login)
    if existing is not None:
        raise Conflict(
            Message("The {field_name} {login} is taken.", field_name=field_name, login=login),
            code="duplicate",
            fields=[field_name],
            existing_id=str(existing.id),
        )


async def create_user(session: AsyncSession, actor: Actor | None, data: UserCreate) -> Account:
    if actor is not None:
        _require_province_admin(actor)
    await _ensure_login_free(session, data.username, "username")
    account = Account(
        kind=AccountKind.user,
        login=data.username,
        display_name=data.full_name,
        secret_hash=hash_secret(data.password),
        roles=sorted(r.value for r in data.roles),
        province_wide=data.province_wide,
        facilities=await scope.facility_links(session, data.facility_ids),
        province_codes=scope.province_codes(data.province_codes),
        nation_wide=data.nation_wide,
    )
    session.add(account)
    await session.flush()
    if actor is not None:
        await audit.record(
            session,
            actor,
            "create",
            resource_type="account",
            resource_id=account.id,
            changed_fields=["username", "full_name", "roles", *scope.SCOPE_FIELDS],
        )
    return account


async def create_client(
    session: AsyncSession, actor: Actor, data: ClientCreate
) -> tuple[Account, str]:
    _require_province_admin(actor)
    await _ensure_login_free(session, data.client_id, "client_id")
    secret = generate_secret()
    account = Account(
        kind=AccountKind.client,
        login=data.client_id,
        display_name=data.name,
        secret_hash=hash_secret(secret),
        roles=sorted(r.value for r in data.roles),
        province_wide=data.province_wide,
        facilities=await scope.facility_links(session, data.facility_ids),
        province_codes=scope.province_codes(data.province_codes),
        nation_wide=data.nation_wide,
    )
    session.add(account)
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="client",
        resource_id=account.id,
        changed_fields=["client_id", "name", "roles", *scope.SCOPE_FIELDS],
    )
    return account, secret


async def _last_admin_guard(session: AsyncSession, account: Account, data: AccountUpdate) -> None:
    """Refuse a change that would leave no active province-wide admin user."""
    loses_admin = (
        (data.active is False)
        or (data.roles is not None and Role.admin not in data.roles)
        or (data.province_wide is False)
    )
    is_admin = account.active and account.province_wide and Role.admin.value in account.roles
    if not (is_admin and loses_admin and account.kind == AccountKind.user):
        return
    others = await repository.count_province_admins(session, exclude=account.id)
    if others == 0:
        raise Conflict(
            "This is the last active province-wide admin; appoint another one first.",
            code="last-admin",
        )


async def update_account(
    session: AsyncSession,
    actor: Actor,
    account_id: uuid.UUID,
    kind: AccountKind,
    data: AccountUpdate,
    if_match: str | None,
) -> Account:
    _require_province_admin(actor)
    account = await get_account(session, account_id, kind)
    check_if_match(if_match, account.version)
    await _last_admin_guard(session, account, data)
    changes = data.model_dump(exclude_unset=True)
    display = changes.pop("full_name", None) or changes.pop("name", None)
    if display is not None:
        account.display_name = display
    if "roles" in changes:
        account.roles = sorted(r.value for r in data.roles or [])
    if "province_wide" in changes:
        account.province_wide = changes["province_wide"]
    if "facility_ids" in changes:
        account.facilities = await scope.facility_links(session, data.facility_ids or [])
    if "province_codes" in changes:
        account.province_codes = scope.province_codes(data.province_codes or [])
    if "nation_wide" in changes:
        account.nation_wide = changes["nation_wide"]
    if "active" in changes:
        account.active = changes["active"]
    scope.check_scope(account)
    account.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type=kind.value if kind == AccountKind.client else "account",
        resource_id=account.id,
        changed_fields=list(data.model_fields_set),
    )
    return account


async def replace_secret(
    session: AsyncSession, actor: Actor, account: Account, secret: str, now: datetime
) -> None:
    """Store a new secret; every existing token of the account stops working. Audited."""
    account.secret_hash = hash_secret(secret)
    account.tokens_valid_after = now
    account.updated_at = now
    await repository.revoke_refresh_tokens_of(session, account.id, now)
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type="client" if account.kind == AccountKind.client else "account",
        resource_id=account.id,
        changed_fields=["secret"],
    )


async def set_secret(
    session: AsyncSession,
    actor: Actor,
    account_id: uuid.UUID,
    kind: AccountKind,
    secret: str | None,
) -> tuple[Account, str]:
    """An admin resets another user's password or rotates a client's secret, without knowing
    the old one. One's own password is changed with the current one (``logins``)."""
    _require_province_admin(actor)
    if account_id == actor.require().account_id:
        own = (
            Message(
                "Change your own password with POST /api/v1/auth/password, giving the current one."
            )
            if kind == AccountKind.user
            else Message("A client's secret is rotated by another admin.")
        )
        raise Forbidden(own, code="own-secret")
    account = await get_account(session, account_id, kind)
    secret = secret or generate_secret()
    await replace_secret(session, actor, account, secret, utcnow())
    return account, secret


async def ensure_first_admin(session: AsyncSession, password: str | None) -> str | None:
    """With no account at all, create the first admin. Returns the password if generated."""
    if await repository.any_account(session):
        return None
    generated = None if password else generate_secret()
    await create_user(
        session,
        None,
        UserCreate(
            username="admin",
            full_name="Quản trị hệ thống",
            password=password or generated or "",
            roles=[Role.admin],
            province_wide=True,
        ),
    )
    return generated
