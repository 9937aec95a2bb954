"""Facility rules: unique code, real commune, optimistic concurrency."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import Conflict, NotFound, Unprocessable
from veteran_care.facilities import repository
from veteran_care.facilities.schemas import FacilityCreate, FacilityUpdate
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.models import Facility
from veteran_care.reference import service as reference


async def get(session: AsyncSession, facility_id: uuid.UUID, actor: Actor) -> Facility:
    """A facility the caller may see: another facility's staff get a 404."""
    facility = await repository.get(session, facility_id)
    ensure_visible(facility_id, actor, exists=facility is not None)
    assert facility is not None
    return facility


def ensure_visible(facility_id: uuid.UUID, actor: Actor, *, exists: bool) -> None:
    """``get``'s rule, for a caller that read whether the facility exists with other things."""
    if not exists or not actor.require().in_scope(facility_id):
        raise NotFound(Message("Facility {facility_id} was not found.", facility_id=facility_id))


async def ensure_exists(session: AsyncSession, facility_id: uuid.UUID | None, field: str) -> None:
    if facility_id is not None and await repository.get(session, facility_id) is None:
        raise Unprocessable(
            Message(
                "{field}: there is no facility {facility_id}.", field=field, facility_id=facility_id
            ),
            code="unknown-facility",
            field=field,
        )


async def _ensure_code_free(
    session: AsyncSession, code: str, own_id: uuid.UUID | None = None
) -> None:
    existing = await repository.id_by_code(session, code)
    if existing is not None and existing != own_id:
        raise Conflict(
            Message("A facility with code {code} already exists.", code=code),
            code="duplicate",
            fields=["code"],
            existing_id=str(existing),
        )


async def create(session: AsyncSession, data: FacilityCreate, actor: Actor) -> Facility:
    await _ensure_code_free(session, data.code)
    await reference.ensure_commune(session, data.commune_code, "commune_code")
    facility = Facility(**data.model_dump())
    session.add(facility)
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="facility",
        resource_id=facility.id,
        changed_fields=sorted(data.model_fields_set),
    )
    return facility


async def update(
    session: AsyncSession,
    facility_id: uuid.UUID,
    data: FacilityUpdate,
    if_match: str | None,
    actor: Actor,
) -> Facility:
    facility = await get(session, facility_id, actor)
    check_if_match(if_match, facility.version)
    changes = data.model_dump(exclude_unset=True)
    if "code" in changes:
        await _ensure_code_free(session, changes["code"], facility.id)
    if "commune_code" in changes:
        await reference.ensure_commune(session, changes["commune_code"], "commune_code")
    for name, value in changes.items():
        setattr(facility, name, value)
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type="facility",
        resource_id=facility.id,
        changed_fields=sorted(changes),
    )
    return facility
