"""Every venue query lives here."""

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.kit.pagination import SortKey, fetch_page, text_key
from veteran_care.models import Venue, VenueKind

VENUE_SORTS: dict[str, SortKey] = {"name": text_key(Venue.name)}


async def get(session: AsyncSession, venue_id: uuid.UUID) -> Venue | None:
    return await session.get(Venue, venue_id)


async def names(session: AsyncSession, ids: Iterable[uuid.UUID] | None = None) -> dict[str, str]:
    """Venue id (as text) -> name; every venue when ``ids`` is None."""
    stmt = select(Venue.id, Venue.name)
    if ids is not None:
        stmt = stmt.where(Venue.id.in_(list(ids)))
    return {str(venue_id): name for venue_id, name in (await session.execute(stmt)).all()}


async def list_venues(
    session: AsyncSession,
    *,
    commune_code: str | None,
    kind: VenueKind | None,
    active: bool | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Venue], str | None]:
    stmt = select(Venue)
    if commune_code is not None:
        stmt = stmt.where(Venue.commune_code == commune_code)
    if kind is not None:
        stmt = stmt.where(Venue.kind == kind)
    if active is not None:
        stmt = stmt.where(Venue.active == active)
    return await fetch_page(
        session,
        stmt,
        id_column=Venue.id,
        sort="name",
        key=VENUE_SORTS["name"],
        cursor=cursor,
        limit=limit,
    )
