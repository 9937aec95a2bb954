"""A visiting team's half-day at a venue: sessions of the facility's services, held elsewhere
(decision 0052). A service holds one session per date and part of day wherever it is: the team
is at the venue or at home, not both."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import Conflict, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.kit.clock import utcnow
from veteran_care.kit.i18n import Message
from veteran_care.models import Session, SessionStatus
from veteran_care.scheduling import repository
from veteran_care.scheduling.sessions import ensure_specialties
from veteran_care.scheduling.visit_schemas import VisitCreate
from veteran_care.venues import service as venues


async def plan(
    session: AsyncSession, actor: Actor, venue_id: uuid.UUID, data: VisitCreate
) -> list[Session]:
    """The team's sessions at the venue; 409 if one of its services already holds a session
    then (at home or at another venue)."""
    await venues.ensure_open(session, venue_id, "venue_id")
    await facilities.get(session, data.facility_id, actor)
    if data.specialty_codes:
        await ensure_specialties(session, data.specialty_codes, "specialty_codes")
    services = [
        s
        for s in await repository.services_of(session, data.facility_id, data.specialty_codes)
        if s.active
    ]
    missing = sorted(set(data.specialty_codes or []) - {s.specialty_code for s in services})
    if missing or not services:
        raise Unprocessable(
            Message(
                "specialty_codes: the facility offers no active service of {codes}.",
                codes=", ".join(missing) or "-",
            ),
            code="unknown-service",
            field="specialty_codes",
        )
    now = utcnow()
    rows: list[dict[str, object]] = [
        {
            "id": uuid.uuid4(),
            "service_id": service.id,
            "facility_id": service.facility_id,
            "venue_id": venue_id,
            "specialty_code": service.specialty_code,
            "date": data.date,
            "part_of_day": data.part_of_day.value,
            "capacity": service.default_capacity if data.capacity is None else data.capacity,
            "booked": 0,
            "status": SessionStatus.open.value,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for service in services
    ]
    if await repository.insert_sessions(session, rows) != len(rows):
        raise Conflict(
            "A service of the team already holds a session on that date and part of day.",
            code="duplicate",
            fields=["facility_id", "date", "part_of_day"],
        )
    found, _ = await repository.list_sessions(
        session,
        scope=None,
        facility_id=data.facility_id,
        specialty_code=None,
        status=None,
        date_from=data.date,
        date_to=data.date,
        sort="date",
        cursor=None,
        limit=200,
    )
    made = sorted(
        (s for s in found if s.venue_id == venue_id and s.part_of_day == data.part_of_day),
        key=lambda s: s.specialty_code,
    )
    for made_session in made:
        await audit.record(
            session, actor, "create", resource_type="session", resource_id=made_session.id
        )
    return made
