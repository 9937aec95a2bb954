"""The account check of every authenticated request: one Core statement, built once."""

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.auth.principal import Principal
from veteran_care.auth.tokens import AccessClaims
from veteran_care.models import Account, AccountFacility, Commune, Facility, Role

_accounts, _links = Account.__table__.c, AccountFacility.__table__.c
_STATE = (
    select(
        _accounts.kind,
        _accounts.login,
        _accounts.roles,
        _accounts.province_wide,
        _accounts.province_codes,
        _accounts.nation_wide,
        _accounts.active,
        _accounts.tokens_valid_after,
        _links.facility_id,
    )
    .select_from(Account.__table__.outerjoin(AccountFacility.__table__))
    .where(_accounts.id == bindparam("account_id"))
)
_IN = Commune.province_code.in_(bindparam("codes", expanding=True))
_IN_PROVINCES = select(Facility.id).join(Commune, Commune.code == Facility.commune_code).where(_IN)


def _uuid(value: uuid.UUID) -> uuid.UUID:
    """A plain ``uuid.UUID`` (asyncpg answers a subclass of its own)."""
    return value if type(value) is uuid.UUID else uuid.UUID(bytes=value.bytes)


async def read_principal(
    sessionmaker: async_sessionmaker[AsyncSession], claims: AccessClaims
) -> Principal | None:
    """The principal of a valid token; None if its account is gone, inactive or logged out since.
    Its own session (autocommit on PostgreSQL), the same path in the tests and in production."""
    async with sessionmaker() as session:
        rows = (await session.execute(_STATE, {"account_id": claims.account_id})).all()
        provinces = frozenset(rows[0].province_codes if rows else ())
        found = await session.scalars(_IN_PROVINCES, {"codes": [*provinces]}) if provinces else ()
    if not rows or not rows[0].active:
        return None
    first = rows[0]
    if first.tokens_valid_after and claims.issued_at < first.tokens_valid_after.timestamp():
        return None
    return Principal(
        account_id=claims.account_id,
        kind=first.kind.value,
        login=first.login,
        roles=frozenset(Role(r) for r in first.roles),
        province_wide=first.province_wide,
        facility_ids=frozenset(_uuid(f) for f in [*(r.facility_id for r in rows), *found] if f),
        province_codes=provinces,
        nation_wide=first.nation_wide,
    )
