"""Every facility query lives here."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.kit.pagination import SortKey, fetch_page, text_key
from veteran_care.models import Facility, FacilityLevel

FACILITY_SORTS: dict[str, SortKey] = {
    "code": text_key(Facility.code),
    "name": text_key(Facility.name),
}


async def get(session: AsyncSession, facility_id: uuid.UUID) -> Facility | None:
    return await session.get(Facility, facility_id)


async def id_by_code(session: AsyncSession, code: str) -> uuid.UUID | None:
    return (await session.scalars(select(Facility.id).where(Facility.code == code))).first()


async def list_facilities(
    session: AsyncSession,
    *,
    level: FacilityLevel | None,
    commune_code: str | None,
    active: bool | None,
    scope: frozenset[uuid.UUID] | None,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Facility], str | None]:
    stmt = select(Facility)
    if level is not None:
        stmt = stmt.where(Facility.level == level)
    if commune_code is not None:
        stmt = stmt.where(Facility.commune_code == commune_code)
    if active is not None:
        stmt = stmt.where(Facility.active == active)
    if scope is not None:
        stmt = stmt.where(Facility.id.in_(scope))
    key = FACILITY_SORTS[sort]
    return await fetch_page(
        session, stmt, id_column=Facility.id, sort=sort, key=key, cursor=cursor, limit=limit
    )
