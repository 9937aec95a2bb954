"""Every identity query lives here."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from veteran_care.db import ConnectForRead, fetch_on_driver
from veteran_care.kit.pagination import SortKey, fetch_page, text_key
from veteran_care.models import Account, AccountFacility, AccountKind, LoginThrottle, RefreshToken

ACCOUNT_SORTS: dict[str, SortKey] = {"login": text_key(Account.login)}


async def get(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    """The account with its facilities in one query: every authenticated request runs it."""
    stmt = select(Account).where(Account.id == account_id).options(joinedload(Account.facilities))
    return (await session.scalars(stmt)).unique().one_or_none()


@dataclass(frozen=True)
class AccountState:
    """What every authenticated request needs to know about its account."""

    id: uuid.UUID
    kind: str
    login: str
    roles: list[str]
    province_wide: bool
    active: bool
    tokens_valid_after: datetime | None
    facility_ids: frozenset[uuid.UUID]


_accounts = Account.__table__.c
_account_facilities = AccountFacility.__table__.c
# On the tables, not the mapped classes: a Core statement skips the ORM's compile and load steps.
_STATE = (
    select(
        _accounts.id,
        _accounts.kind,
        _accounts.login,
        _accounts.roles,
        _accounts.province_wide,
        _accounts.active,
        _accounts.tokens_valid_after,
        _account_facilities.facility_id,
    )
    .select_from(
        Account.__table__.outerjoin(
            AccountFacility.__table__, _account_facilities.account_id == _accounts.id
        )
    )
    .where(_accounts.id == bindparam("account_id"))
)


# The account check: the state of one account, or None when there is no such account.
AccountReader = Callable[[uuid.UUID], Awaitable["AccountState | None"]]


def _account_state(rows: Sequence[Any]) -> AccountState | None:
    """From the rows of ``_STATE`` (a row per facility), as SQLAlchemy or asyncpg answers them."""
    if not rows:
        return None
    first = rows[0]
    kind = first[1]
    return AccountState(
        id=uuid.UUID(bytes=first[0].bytes),  # asyncpg's own UUID type, as SQLAlchemy answers
        kind=kind.value if isinstance(kind, AccountKind) else kind,
        login=first[2],
        roles=first[3],
        province_wide=first[4],
        active=first[5],
        tokens_valid_after=first[6],
        facility_ids=frozenset(uuid.UUID(bytes=r[7].bytes) for r in rows if r[7] is not None),
    )


def account_reader(connect: ConnectForRead) -> AccountReader:
    """The account check as one Core statement through SQLAlchemy, on what ``connect`` opens:
    the tests' session, so that it reads inside their transaction."""

    async def read(account_id: uuid.UUID) -> AccountState | None:
        async with connect() as connection:
            rows = (await connection.execute(_STATE, {"account_id": account_id})).all()
        return _account_state(rows)

    return read


def account_reader_for(engine: AsyncEngine) -> AccountReader:
    """The account check of every authenticated request, sent to the driver directly
    (``db.fetch_on_driver``): compiled once, its parameter and values converted by SQLAlchemy's
    own type processors for the dialect (asyncpg's values need none)."""
    dialect = engine.dialect
    compiled = _STATE.compile(dialect=dialect)
    statement = str(compiled)
    if dialect.name == "postgresql":

        async def read_on_postgresql(account_id: uuid.UUID) -> AccountState | None:
            return _account_state(await fetch_on_driver(engine, statement, account_id))

        return read_on_postgresql
    assert compiled.positiontup == ["account_id"], compiled.positiontup
    bind = compiled.binds["account_id"].type.dialect_impl(dialect).bind_processor(dialect)
    convert = [
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in _STATE.selected_columns
    ]

    async def read(account_id: uuid.UUID) -> AccountState | None:
        rows = await fetch_on_driver(engine, statement, bind(account_id) if bind else account_id)
        return _account_state(
            [[c(v) if c else v for c, v in zip(convert, row, strict=True)] for row in rows]
        )

    return read


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
