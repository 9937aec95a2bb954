"""Venue rules: a real commune; optimistic concurrency; a closed venue takes no new sessions."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import NotFound, Unprocessable
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.models import Venue
from veteran_care.reference import service as reference
from veteran_care.venues import repository
from veteran_care.venues.schemas import VenueCreate, VenueUpdate


async def get(session: AsyncSession, venue_id: uuid.UUID) -> Venue:
    """Any staff member may see a venue: it is a public place, not a facility's own."""
    venue = await repository.get(session, venue_id)
    if venue is None:
        raise NotFound(Message("Venue {venue_id} was not found.", venue_id=venue_id))
    return venue


async def ensure_open(session: AsyncSession, venue_id: uuid.UUID, field: str = "venue_id") -> Venue:
    """The venue a new session is held at: it exists and is active, else a 422 on ``field``."""
    venue = await repository.get(session, venue_id)
    if venue is None or not venue.active:
        raise Unprocessable(
            Message(
                "{field}: there is no active venue {venue_id}.", field=field, venue_id=venue_id
            ),
            code="unknown-venue",
            field=field,
        )
    return venue


async def create(session: AsyncSession, data: VenueCreate, actor: Actor) -> Venue:
    await reference.ensure_commune(session, data.commune_code, "commune_code")
    venue = Venue(**data.model_dump())
    session.add(venue)
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="venue",
        resource_id=venue.id,
        changed_fields=sorted(data.model_fields_set),
    )
    return venue


async def update(
    session: AsyncSession,
    venue_id: uuid.UUID,
    data: VenueUpdate,
    if_match: str | None,
    actor: Actor,
) -> Venue:
    venue = await get(session, venue_id)
    check_if_match(if_match, venue.version)
    changes = data.model_dump(exclude_unset=True)
    if "commune_code" in changes:
        await reference.ensure_commune(session, changes["commune_code"], "commune_code")
    for name, value in changes.items():
        setattr(venue, name, value)
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type="venue",
        resource_id=venue.id,
        changed_fields=sorted(changes),
    )
    return venue
