"""Every identity query lives here."""

import uuid
from datetime import datetime

from sqlalchemy import select, update
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


async def throttle(session: AsyncSession, login: str) -> LoginThrottle | None:
    return await session.get(LoginThrottle, login)


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
