"""Every identity query lives here."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from veteran_care.kit.pagination import SortKey, fetch_page, text_key
from veteran_care.models import Account, AccountKind, LoginThrottle, RefreshToken

ACCOUNT_SORTS: dict[str, SortKey] = {"login": text_key(Account.login)}


async def get(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    """The account with its facilities in one query: every authenticated request runs it."""
    stmt = select(Account).where(Account.id == account_id).options(joinedload(Account.facilities))
    return (await session.scalars(stmt)).unique().one_or_none()


async def by_login(session: AsyncSession, login: str) -> Account | None:
    stmt = select(Account).where(Account.login == login).options(selectinload(Account.facilities))
    return (await session.scalars(stmt)).one_or_none()


async def any_account(session: AsyncSession) -> bool:
    return (await session.scalars(select(Account.id).limit(1))).first() is not None


async def list_accounts(
    session: AsyncSession, kind: AccountKind, *, cursor: str | None, limit: int
) -> tuple[list[Account], str | None]:
    sort = "login"
    key = ACCOUNT_SORTS[sort]
    return await fetch_page(
        session,
        select(Account).where(Account.kind == kind).options(selectinload(Account.facilities)),
        id_column=Account.id,
        sort=sort,
        key=key,
        cursor=cursor,
        limit=limit,
    )


def _pair(login: str, address: str) -> Any:
    return (LoginThrottle.login == login) & (LoginThrottle.client_address == address)


async def count_attempt(
    session: AsyncSession, login: str, address: str, now: datetime, forget_before: datetime
) -> int | None:
    """Count an attempt of the pair as a failure before its secret is checked, unless the pair
    must still wait: the pair's failures, this one included, or None while it waits. One
    statement on both backends; on PostgreSQL the row stays locked until the transaction ends,
    so concurrent attempts of one pair take turns instead of slipping past a delay together."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(LoginThrottle).values(
        login=login, client_address=address, failures=1, delayed_until=None, last_failure_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["login", "client_address"],
        set_={
            "failures": case(
                (LoginThrottle.last_failure_at < forget_before, 1),
                else_=LoginThrottle.failures + 1,
            ),
            "delayed_until": None,
            "last_failure_at": now,
        },
        where=or_(LoginThrottle.delayed_until.is_(None), LoginThrottle.delayed_until <= now),
    )
    counted: int | None = (
        await session.execute(stmt.returning(LoginThrottle.failures))
    ).scalar_one_or_none()
    return counted


async def delayed_until(session: AsyncSession, login: str, address: str) -> datetime | None:
    stmt = select(LoginThrottle.delayed_until).where(_pair(login, address))
    return (await session.execute(stmt)).scalar_one_or_none()


async def delay_pair(session: AsyncSession, login: str, address: str, until: datetime) -> None:
    await session.execute(
        update(LoginThrottle).where(_pair(login, address)).values(delayed_until=until)
    )


async def clear_pair(session: AsyncSession, login: str, address: str) -> None:
    await session.execute(delete(LoginThrottle).where(_pair(login, address)))


async def purge_forgotten(session: AsyncSession, before: datetime, limit: int) -> None:
    """Delete up to ``limit`` rows quiet since before ``before``. Rows another transaction holds
    are skipped (PostgreSQL: SKIP LOCKED), so concurrent purges never wait on each other."""
    forgotten = (
        select(LoginThrottle.login, LoginThrottle.client_address)
        .where(LoginThrottle.last_failure_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    key = tuple_(LoginThrottle.login, LoginThrottle.client_address)
    await session.execute(delete(LoginThrottle).where(key.in_(forgotten)))


async def refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.scalars(stmt)).one_or_none()


async def revoke_refresh_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_refresh_tokens_of(
    session: AsyncSession, account_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def count_province_admins(session: AsyncSession, *, exclude: uuid.UUID) -> int:
    """Active province-wide admin users other than ``exclude`` (a handful: counted in Python,
    since roles are a JSON list)."""
    stmt = select(Account.roles).where(
        Account.kind == AccountKind.user,
        Account.active.is_(True),
        Account.province_wide.is_(True),
        Account.id != exclude,
    )
    return sum(1 for roles in (await session.scalars(stmt)).all() if "admin" in roles)
