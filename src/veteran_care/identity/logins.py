"""Proving who one is: the password and client-credentials grants and the change of one's own
password, behind a throttle per login name and client address (decision 0027).

Each attempt is counted as a failure of its (name, address) pair before the secret is checked,
and a success deletes the pair's row. From the ``max_failed_logins``-th failure on, the pair waits
before its next attempt: 1 s, doubling with each further failure, at most ``lockout_minutes``.
An attempt while the pair waits is refused (429, ``Retry-After``) without checking the secret.
The same name from another address is not slowed down, so nobody can lock staff out by failing
their logins; an attacker only slows themselves down.
"""

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import Forbidden
from veteran_care.auth.principal import Actor
from veteran_care.config import Settings
from veteran_care.identity import repository, service
from veteran_care.identity.passwords import verify_secret
from veteran_care.identity.schemas import PasswordChange, Token
from veteran_care.identity.service import Refusal
from veteran_care.kit.clock import utcnow
from veteran_care.kit.i18n import Message
from veteran_care.models import AccountKind

WRONG_CREDENTIALS = Message("The login or password is wrong.")
WRONG_PASSWORD = Message("The current password is wrong.")
PURGE_BATCH = 20  # rows forgotten per failed attempt: more than the one it may add


@dataclass(frozen=True)
class Attempt:
    """One attempt of a (login, address) pair, already counted as a failure."""

    login: str
    address: str
    failures: int


def address_key(address: str | None) -> str:
    """The client address as the throttle counts it: an IPv4 address (an IPv4-mapped IPv6 one
    too) as it is, an IPv6 address as its /64 network (one subscriber's addresses), anything
    else as given."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip), 64), strict=False))
    return str(ip)


def delay(settings: Settings, failures: int) -> timedelta | None:
    """How long a pair waits after this many failures (None: not at all)."""
    beyond = failures - settings.max_failed_logins
    if beyond < 0:
        return None
    return timedelta(seconds=min(2 ** min(beyond, 32), settings.lockout_minutes * 60))


def _forget_before(settings: Settings, now: datetime) -> datetime:
    """Rows quiet since before this are forgotten: never one that still waits."""
    return now - max(
        timedelta(hours=settings.login_failures_kept_hours),
        timedelta(minutes=settings.lockout_minutes),
    )


async def _begin(
    session: AsyncSession, settings: Settings, login: str, address: str | None, now: datetime
) -> Attempt | timedelta:
    """The attempt, counted; or, while the pair waits, how long it still has to wait."""
    key = address_key(address)
    failures = await repository.count_attempt(
        session, login, key, now, _forget_before(settings, now)
    )
    if failures is not None:
        return Attempt(login, key, failures)
    until = await repository.delayed_until(session, login, key)
    return max((until or now) - now, timedelta(seconds=1))


async def _failed(
    session: AsyncSession, settings: Settings, attempt: Attempt, now: datetime
) -> timedelta | None:
    """The attempt failed: how long the pair now waits (None: not yet)."""
    wait = delay(settings, attempt.failures)
    if wait is not None:
        await repository.delay_pair(session, attempt.login, attempt.address, now + wait)
    await repository.purge_forgotten(session, _forget_before(settings, now), PURGE_BATCH)
    return wait


def _delayed(wait: timedelta, prefix: str = "") -> Refusal:
    seconds = max(math.ceil(wait.total_seconds()), 1)
    return Refusal(
        429,
        "login-delayed",
        Message(
            "{refusal} Too many failed attempts for this login from your address: "
            "try again in {seconds} s.",
            refusal=prefix,
            seconds=seconds,
        )
        if prefix
        else Message(
            "Too many failed attempts for this login from your address: try again in {seconds} s.",
            seconds=seconds,
        ),
        {"Retry-After": str(seconds)},
    )


async def _refused_while_waiting(
    session: AsyncSession, actor: Actor, login: str, wait: timedelta, what: str
) -> Refusal:
    await audit.record(
        session,
        actor,
        "login_failure",
        outcome="denied",
        status_code=429,
        actor_login=login,
        detail=f"{what} refused unchecked: this address waits after failed attempts",
    )
    return _delayed(wait)


async def _record_failure(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    attempt: Attempt,
    now: datetime,
    refusal: Refusal,
    what: str,
) -> Refusal:
    wait = await _failed(session, settings, attempt, now)
    await audit.record(
        session,
        actor,
        "login_failure",
        outcome="denied",
        status_code=refusal.status if wait is None else 429,
        actor_login=attempt.login,
        detail=what,
    )
    if wait is None:
        return refusal
    await audit.record(
        session,
        actor,
        "lockout",
        outcome="denied",
        actor_login=attempt.login,
        detail=f"{attempt.failures} failed attempts from this address; "
        f"the next one waits {math.ceil(wait.total_seconds())} s",
    )
    return _delayed(wait, refusal.detail)


async def login(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    kind: AccountKind,
    login_name: str,
    secret: str,
) -> Token | Refusal:
    """Password grant (users) or client-credentials grant (clients), throttled per name and
    client address. Unknown names are throttled and answered exactly like known ones."""
    login_name = login_name.strip().lower()[:64]
    now = utcnow()
    attempt = await _begin(session, settings, login_name, actor.client_address, now)
    if not isinstance(attempt, Attempt):
        return await _refused_while_waiting(session, actor, login_name, attempt, "login")
    account = await repository.by_login(session, login_name)
    stored = account.secret_hash if account is not None and account.kind == kind else None
    if not verify_secret(secret, stored) or account is None or not account.active:
        wrong = Refusal(400, "invalid_grant", WRONG_CREDENTIALS)
        return await _record_failure(
            session, settings, actor, attempt, now, wrong, "wrong login or secret"
        )
    await repository.clear_pair(session, attempt.login, attempt.address)
    return await service.logged_in(session, settings, actor, account, now)


async def change_own_password(
    session: AsyncSession, settings: Settings, actor: Actor, data: PasswordChange
) -> Refusal | None:
    """The caller changes their own password, proving the current one (checked and throttled
    like a login: a stolen access token must not become a way to guess it). Every token of the
    account stops working, the caller's included."""
    principal = actor.require()
    if principal.kind != AccountKind.user.value:
        raise Forbidden(
            "A machine client has no password; an admin rotates its secret.",
            code="not-a-user",
        )
    now = utcnow()
    attempt = await _begin(session, settings, principal.login, actor.client_address, now)
    if not isinstance(attempt, Attempt):
        return await _refused_while_waiting(
            session, actor, principal.login, attempt, "password change"
        )
    account = await service.get_account(session, principal.account_id, AccountKind.user)
    if not verify_secret(data.current_password, account.secret_hash):
        wrong = Refusal(403, "wrong-password", WRONG_PASSWORD)
        return await _record_failure(
            session, settings, actor, attempt, now, wrong, "password change: wrong password"
        )
    await repository.clear_pair(session, attempt.login, attempt.address)
    await service.replace_secret(session, actor, account, data.new_password, now)
    return None
