"""Facility services (timetables) and sessions: generation, capacity, closing, cancelling."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import repository as beneficiaries
from veteran_care.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.kit.clock import each_day, utcnow
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.messaging import outbox
from veteran_care.models import (
    AppointmentStatus,
    CancelledBy,
    CheckupStatus,
    FacilityService,
    MessageKind,
    Session,
    SessionStatus,
)
from veteran_care.scheduling import calendar, repository, waitlist_offers
from veteran_care.scheduling.closing_schemas import PersonToCall
from veteran_care.scheduling.lifecycle import change_status, refresh_checkups
from veteran_care.scheduling.schemas import (
    ServiceCreate,
    ServiceUpdate,
    SessionCreate,
    SessionGenerate,
    SkippedDay,
)
from veteran_care.webhooks import events as webhooks


async def ensure_specialties(session: AsyncSession, codes: list[str], field: str) -> None:
    unknown = await repository.unknown_specialties(session, codes)
    if unknown:
        raise Unprocessable(
            Message(
                "{field}: unknown specialty codes {codes}.", field=field, codes=", ".join(unknown)
            ),
            code="unknown-specialty",
            field=field,
        )


# Services -----------------------------------------------------------------------------------


async def create_service(
    session: AsyncSession, actor: Actor, facility_id: uuid.UUID, data: ServiceCreate
) -> FacilityService:
    await facilities.get(session, facility_id, actor)
    await ensure_specialties(session, [data.specialty_code], "specialty_code")
    existing = await repository.service_by_specialty(session, facility_id, data.specialty_code)
    if existing is not None:
        raise Conflict(
            Message(
                "The facility already offers {specialty_code}.", specialty_code=data.specialty_code
            ),
            code="duplicate",
            fields=["specialty_code"],
            existing_id=str(existing.id),
        )
    service = FacilityService(
        facility_id=facility_id,
        specialty_code=data.specialty_code,
        timetable=[slot.model_dump(mode="json") for slot in data.timetable],
        default_capacity=data.default_capacity,
    )
    session.add(service)
    await session.flush()
    await audit.record(
        session, actor, "create", resource_type="facility_service", resource_id=service.id
    )
    return service


async def get_service(
    session: AsyncSession, actor: Actor, facility_id: uuid.UUID, service_id: uuid.UUID
) -> FacilityService:
    await facilities.get(session, facility_id, actor)
    service = await repository.service(session, service_id)
    if service is None or service.facility_id != facility_id:
        raise NotFound(
            Message(
                "Service {service_id} of facility {facility_id} was not found.",
                service_id=service_id,
                facility_id=facility_id,
            )
        )
    return service


async def update_service(
    session: AsyncSession,
    actor: Actor,
    facility_id: uuid.UUID,
    service_id: uuid.UUID,
    data: ServiceUpdate,
    if_match: str | None,
) -> FacilityService:
    service = await get_service(session, actor, facility_id, service_id)
    check_if_match(if_match, service.version)
    if data.timetable is not None:
        service.timetable = [slot.model_dump(mode="json") for slot in data.timetable]
    if data.default_capacity is not None:
        service.default_capacity = data.default_capacity
    if data.active is not None:
        service.active = data.active
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type="facility_service",
        resource_id=service.id,
        changed_fields=sorted(data.model_fields_set),
    )
    return service


# Sessions -----------------------------------------------------------------------------------


def _slots(service: FacilityService) -> list[tuple[int, str]]:
    return [(int(str(s["weekday"])), str(s["part_of_day"])) for s in service.timetable]


async def generate(
    session: AsyncSession, actor: Actor, data: SessionGenerate
) -> tuple[int, int, list[SkippedDay]]:
    """Sessions for every timetable slot in the range, but on the days the facility is closed
    (public holidays, its own closed days: returned as skipped); existing ones are left alone."""
    await facilities.get(session, data.facility_id, actor)
    if data.specialty_codes:
        await ensure_specialties(session, data.specialty_codes, "specialty_codes")
    services = [
        s
        for s in await repository.services_of(session, data.facility_id, data.specialty_codes)
        if s.active
    ]
    now = utcnow()
    rows: list[dict[str, object]] = []
    closed = await calendar.closed_days(session, data.facility_id, data.date_from, data.date_to)
    if not data.skip_public_holidays:
        closed = {day: why for day, why in closed.items() if why[0] != calendar.PUBLIC_HOLIDAY}
    skipped: list[SkippedDay] = []
    for day in each_day(data.date_from, data.date_to):
        if day in closed:
            if any(day.isoweekday() == weekday for s in services for weekday, _ in _slots(s)):
                kind, reason = closed[day]
                skipped.append(SkippedDay(date=day, kind=kind, reason=reason))
            continue
        for service in services:
            for weekday, part in _slots(service):
                if day.isoweekday() == weekday:
                    rows.append(
                        {
                            "id": uuid.uuid4(),
                            "service_id": service.id,
                            "facility_id": service.facility_id,
                            "specialty_code": service.specialty_code,
                            "date": day,
                            "part_of_day": part,
                            "capacity": service.default_capacity,
                            "booked": 0,
                            "status": SessionStatus.open.value,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
    created = await repository.insert_sessions(session, rows)
    await audit.record(
        session,
        actor,
        "create",
        resource_type="session",
        detail=f"generated {created} sessions {data.date_from}..{data.date_to}",
    )
    return created, len(rows) - created, skipped


async def create_session(session: AsyncSession, actor: Actor, data: SessionCreate) -> Session:
    service = await repository.service(session, data.service_id)
    if service is None or not actor.require().in_scope(service.facility_id):
        raise Unprocessable(
            Message("service_id: there is no service {service_id}.", service_id=data.service_id),
            code="unknown-service",
            field="service_id",
        )
    created = await repository.insert_sessions(
        session,
        [
            {
                "id": uuid.uuid4(),
                "service_id": service.id,
                "facility_id": service.facility_id,
                "specialty_code": service.specialty_code,
                "date": data.date,
                "part_of_day": data.part_of_day.value,
                "capacity": service.default_capacity if data.capacity is None else data.capacity,
                "booked": 0,
                "status": SessionStatus.open.value,
                "version": 1,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
        ],
    )
    if not created:
        raise Conflict(
            "This service already has a session on that date and part of day.",
            code="duplicate",
            fields=["service_id", "date", "part_of_day"],
        )
    found = await repository.list_sessions(
        session,
        scope=None,
        facility_id=service.facility_id,
        specialty_code=service.specialty_code,
        status=None,
        date_from=data.date,
        date_to=data.date,
        sort="date",
        cursor=None,
        limit=2,
    )
    new = next(s for s in found[0] if s.part_of_day == data.part_of_day)
    await audit.record(session, actor, "create", resource_type="session", resource_id=new.id)
    return new


async def get_session(session: AsyncSession, actor: Actor, session_id: uuid.UUID) -> Session:
    found = await repository.get_session(session, session_id)
    if found is None or not actor.require().in_scope(found.facility_id):
        raise NotFound(Message("Session {session_id} was not found.", session_id=session_id))
    return found


async def set_capacity(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID, capacity: int, if_match: str | None
) -> Session:
    current = await get_session(session, actor, session_id)
    check_if_match(if_match, current.version)
    if not await repository.set_capacity(session, session_id, capacity, current.version):
        fresh = await get_session(session, actor, session_id)
        if fresh.version != current.version:
            raise PreconditionFailed("The session changed meanwhile; read it again and retry.")
        raise Conflict(
            Message(
                "{booked} places are booked: the capacity cannot go below that.",
                booked=fresh.booked,
            ),
            code="capacity-below-booked",
            booked=fresh.booked,
        )
    await audit.record(
        session,
        actor,
        "update",
        resource_type="session",
        resource_id=session_id,
        changed_fields=["capacity"],
    )
    if capacity > current.capacity:  # the new places go to those waiting first
        await waitlist_offers.offer_free_places(session, session_id)
    return await get_session(session, actor, session_id)


async def close(session: AsyncSession, actor: Actor, session_id: uuid.UUID) -> Session:
    current = await get_session(session, actor, session_id)
    if current.status != SessionStatus.open:
        raise Conflict(
            Message("The session is {status}.", status=current.status.value),
            code="session-not-open",
        )
    await repository.set_session_status(session, session_id, SessionStatus.closed, None)
    await audit.record(
        session,
        actor,
        "status_change",
        resource_type="session",
        resource_id=session_id,
        changed_fields=["status"],
    )
    return await get_session(session, actor, session_id)


async def cancel(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID, reason: str
) -> tuple[Session, list[PersonToCall]]:
    """Cancel the session and its appointments (by the facility); say whom to call."""
    current = await get_session(session, actor, session_id)
    if current.status == SessionStatus.cancelled:
        raise Conflict("The session is cancelled already.", code="session-cancelled")
    appointments = await repository.appointments_of_session(
        session, session_id, (AppointmentStatus.booked, AppointmentStatus.checked_in)
    )
    people: list[PersonToCall] = []
    await repository.lock_sessions(session, [session_id])
    # Cancelled first: the places its appointments free are offered to nobody waiting.
    await repository.set_session_status(session, session_id, SessionStatus.cancelled, reason)
    for appointment in appointments:
        await change_status(
            session,
            actor,
            appointment,
            AppointmentStatus.cancelled,
            reason,
            cancelled_by=CancelledBy.facility,
        )
        person = await beneficiaries.get(session, appointment.beneficiary_id)
        assert person is not None
        people.append(
            PersonToCall(
                appointment_id=appointment.id,
                checkup_id=appointment.checkup_id,
                beneficiary_id=person.id,
                full_name=person.full_name,
                phone=person.phone,
            )
        )
    checkups = await refresh_checkups(session, {a.checkup_id for a in appointments})
    await webhooks.emit(
        session,
        webhooks.checkups_cancelled(c for c in checkups if c.status == CheckupStatus.cancelled),
    )
    told = {a.checkup_id: a.beneficiary_id for a in appointments}
    await outbox.enqueue(session, MessageKind.session_cancelled, sorted(told.items()))
    await audit.record(
        session,
        actor,
        "status_change",
        resource_type="session",
        resource_id=session_id,
        changed_fields=["status"],
        detail=f"{len(appointments)} appointments cancelled",
    )
    return await get_session(session, actor, session_id), people


def ensure_not_past(day: date, today: date, field: str = "date") -> None:
    if day < today:
        raise Unprocessable(
            Message("{field}: {day} is in the past.", field=field, day=day),
            code="date-in-past",
            field=field,
        )
