"""Every scheduling query lives here. Seats are taken and given back by single conditional
UPDATE statements: atomic on PostgreSQL and SQLite alike."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from veteran_care.kit.clock import utcnow
from veteran_care.kit.pagination import SortKey, fetch_page
from veteran_care.models import (
    ACTIVE,
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    Campaign,
    Checkup,
    FacilityService,
    Session,
    SessionStatus,
    Specialty,
)


def _date_key(column: object, descending: bool = False) -> SortKey:
    return SortKey(
        column,  # type: ignore[arg-type]
        descending,
        parse=lambda v: date.fromisoformat(v) if isinstance(v, str) else _bad(),
        dump=lambda v: v.isoformat(),
    )


def _bad() -> date:
    raise ValueError("not a date")


SESSION_SORTS = {"date": _date_key(Session.date), "-date": _date_key(Session.date, True)}
CHECKUP_SORTS = {"date": _date_key(Checkup.date), "-date": _date_key(Checkup.date, True)}
CAMPAIGN_SORTS = {"-starts_on": _date_key(Campaign.starts_on, True)}


async def specialties(session: AsyncSession) -> Sequence[Specialty]:
    return (await session.scalars(select(Specialty).order_by(Specialty.sort_order))).all()


async def unknown_specialties(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    wanted = set(codes)
    found = set(
        (await session.scalars(select(Specialty.code).where(Specialty.code.in_(wanted)))).all()
    )
    return sorted(wanted - found)


# Services -----------------------------------------------------------------------------------


async def service(session: AsyncSession, service_id: uuid.UUID) -> FacilityService | None:
    return await session.get(FacilityService, service_id)


async def services_of(
    session: AsyncSession, facility_id: uuid.UUID, codes: Sequence[str] | None = None
) -> Sequence[FacilityService]:
    stmt = select(FacilityService).where(FacilityService.facility_id == facility_id)
    if codes is not None:
        stmt = stmt.where(FacilityService.specialty_code.in_(codes))
    return (await session.scalars(stmt.order_by(FacilityService.specialty_code))).all()


async def service_by_specialty(
    session: AsyncSession, facility_id: uuid.UUID, code: str
) -> FacilityService | None:
    stmt = select(FacilityService).where(
        FacilityService.facility_id == facility_id, FacilityService.specialty_code == code
    )
    return (await session.scalars(stmt)).first()


# Sessions -----------------------------------------------------------------------------------


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> Session | None:
    return await session.get(Session, session_id, populate_existing=True)


async def insert_sessions(session: AsyncSession, rows: list[dict[str, object]]) -> int:
    """Insert, skipping those that exist already (idempotent generation). Returns how many new."""
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = 0
    for start in range(0, len(rows), 500):
        stmt = (
            insert(Session)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=["service_id", "date", "part_of_day"])
            .returning(Session.id)
        )
        created += len((await session.execute(stmt)).all())
    return created


async def list_sessions(
    session: AsyncSession,
    *,
    scope: frozenset[uuid.UUID] | None,
    facility_id: uuid.UUID | None,
    specialty_code: str | None,
    status: SessionStatus | None,
    date_from: date | None,
    date_to: date | None,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Session], str | None]:
    stmt = select(Session)
    if scope is not None:
        stmt = stmt.where(Session.facility_id.in_(scope))
    if facility_id is not None:
        stmt = stmt.where(Session.facility_id == facility_id)
    if specialty_code is not None:
        stmt = stmt.where(Session.specialty_code == specialty_code)
    if status is not None:
        stmt = stmt.where(Session.status == status)
    if date_from is not None:
        stmt = stmt.where(Session.date >= date_from)
    if date_to is not None:
        stmt = stmt.where(Session.date <= date_to)
    key = SESSION_SORTS[sort]
    return await fetch_page(
        session, stmt, id_column=Session.id, sort=sort, key=key, cursor=cursor, limit=limit
    )


async def open_sessions(
    session: AsyncSession,
    facility_id: uuid.UUID,
    codes: Sequence[str],
    date_from: date,
    date_to: date,
    *,
    with_places: bool,
) -> Sequence[Session]:
    stmt = select(Session).where(
        Session.facility_id == facility_id,
        Session.specialty_code.in_(codes),
        Session.date >= date_from,
        Session.date <= date_to,
        Session.status == SessionStatus.open,
    )
    if with_places:
        stmt = stmt.where(Session.booked < Session.capacity)
    stmt = stmt.order_by(Session.date, Session.part_of_day, Session.specialty_code)
    return (await session.scalars(stmt.execution_options(populate_existing=True))).all()


async def lock_sessions(session: AsyncSession, session_ids: Iterable[uuid.UUID]) -> None:
    """Lock these session rows in one order (by id) before taking seats, so that bookings that
    need several sessions never wait on each other in opposite orders. SQLite serialises write
    transactions anyway."""
    ids = sorted(set(session_ids), key=str)
    if ids and session.get_bind().dialect.name == "postgresql":
        stmt = select(Session.id).where(Session.id.in_(ids)).order_by(Session.id).with_for_update()
        await session.execute(stmt)


async def take_seats(session: AsyncSession, session_id: uuid.UUID, count: int = 1) -> bool:
    """Take `count` places if the session is open and has them: one atomic statement."""
    stmt = (
        update(Session)
        .where(
            Session.id == session_id,
            Session.status == SessionStatus.open,
            Session.booked + count <= Session.capacity,
        )
        .values(booked=Session.booked + count, version=Session.version + 1, updated_at=utcnow())
        .returning(Session.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


async def release_seats(session: AsyncSession, session_id: uuid.UUID, count: int = 1) -> None:
    stmt = (
        update(Session)
        .where(Session.id == session_id, Session.booked >= count)
        .values(booked=Session.booked - count, version=Session.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.execute(stmt)


async def set_capacity(
    session: AsyncSession, session_id: uuid.UUID, capacity: int, version: int
) -> bool:
    stmt = (
        update(Session)
        .where(Session.id == session_id, Session.version == version, Session.booked <= capacity)
        .values(capacity=capacity, version=Session.version + 1, updated_at=utcnow())
        .returning(Session.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


async def set_session_status(
    session: AsyncSession, session_id: uuid.UUID, status: SessionStatus, reason: str | None
) -> None:
    stmt = (
        update(Session)
        .where(Session.id == session_id)
        .values(
            status=status, cancel_reason=reason, version=Session.version + 1, updated_at=utcnow()
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(stmt)


# Checkups and appointments -------------------------------------------------------------------


async def get_checkup(session: AsyncSession, checkup_id: uuid.UUID) -> Checkup | None:
    stmt = (
        select(Checkup)
        .where(Checkup.id == checkup_id)
        .options(selectinload(Checkup.appointments))
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).one_or_none()


async def list_checkups(
    session: AsyncSession,
    *,
    scope: frozenset[uuid.UUID] | None,
    facility_id: uuid.UUID | None,
    beneficiary_id: uuid.UUID | None,
    campaign_id: uuid.UUID | None,
    status: str | None,
    date_from: date | None,
    date_to: date | None,
    sort: str,
    cursor: str | None,
    limit: int,
    session_id: uuid.UUID | None = None,
) -> tuple[list[Checkup], str | None]:
    stmt = select(Checkup).options(selectinload(Checkup.appointments))
    if session_id is not None:  # an appointment of the checkup is in it, whatever its status
        in_session = select(Appointment.checkup_id).where(Appointment.session_id == session_id)
        stmt = stmt.where(Checkup.id.in_(in_session))
    if scope is not None:
        stmt = stmt.where(Checkup.facility_id.in_(scope))
    for column, value in (
        (Checkup.facility_id, facility_id),
        (Checkup.beneficiary_id, beneficiary_id),
        (Checkup.campaign_id, campaign_id),
        (Checkup.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if date_from is not None:
        stmt = stmt.where(Checkup.date >= date_from)
    if date_to is not None:
        stmt = stmt.where(Checkup.date <= date_to)
    key = CHECKUP_SORTS[sort]
    return await fetch_page(
        session, stmt, id_column=Checkup.id, sort=sort, key=key, cursor=cursor, limit=limit
    )


async def get_appointment(session: AsyncSession, appointment_id: uuid.UUID) -> Appointment | None:
    return await session.get(Appointment, appointment_id, populate_existing=True)


async def active_specialties_on(
    session: AsyncSession, beneficiary_id: uuid.UUID, day: date, codes: Sequence[str]
) -> list[str]:
    stmt = select(Appointment.specialty_code).where(
        Appointment.beneficiary_id == beneficiary_id,
        Appointment.date == day,
        Appointment.specialty_code.in_(codes),
        Appointment.status.in_(ACTIVE),
    )
    return sorted((await session.scalars(stmt)).all())


async def appointments_of_session(
    session: AsyncSession, session_id: uuid.UUID, statuses: Sequence[AppointmentStatus]
) -> Sequence[Appointment]:
    stmt = select(Appointment).where(
        Appointment.session_id == session_id, Appointment.status.in_(statuses)
    )
    return (await session.scalars(stmt.execution_options(populate_existing=True))).all()


async def past_booked(
    session: AsyncSession,
    before: date,
    scope: frozenset[uuid.UUID] | None,
    facility_id: uuid.UUID | None,
) -> Sequence[Appointment]:
    stmt = select(Appointment).where(
        Appointment.status == AppointmentStatus.booked, Appointment.date < before
    )
    if scope is not None:
        stmt = stmt.where(Appointment.facility_id.in_(scope))
    if facility_id is not None:
        stmt = stmt.where(Appointment.facility_id == facility_id)
    return (await session.scalars(stmt.order_by(Appointment.date, Appointment.id))).all()


async def history(
    session: AsyncSession, appointment_id: uuid.UUID
) -> Sequence[AppointmentStatusChange]:
    stmt = (
        select(AppointmentStatusChange)
        .where(AppointmentStatusChange.appointment_id == appointment_id)
        .order_by(AppointmentStatusChange.id)
    )
    return (await session.scalars(stmt)).all()


async def checkups_with_appointments(
    session: AsyncSession, checkup_ids: Iterable[uuid.UUID]
) -> Sequence[Checkup]:
    stmt = (
        select(Checkup)
        .where(Checkup.id.in_(set(checkup_ids)))
        .options(selectinload(Checkup.appointments))
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).all()


# Campaigns ------------------------------------------------------------------------------------


async def get_campaign(session: AsyncSession, campaign_id: uuid.UUID) -> Campaign | None:
    stmt = (
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .options(selectinload(Campaign.facilities))
    )
    return (await session.scalars(stmt)).one_or_none()


async def list_campaigns(
    session: AsyncSession, scope: frozenset[uuid.UUID] | None, *, cursor: str | None, limit: int
) -> tuple[list[Campaign], str | None]:
    from veteran_care.models import CampaignFacility

    stmt = select(Campaign).options(selectinload(Campaign.facilities))
    if scope is not None:
        stmt = stmt.where(
            exists().where(
                CampaignFacility.campaign_id == Campaign.id,
                CampaignFacility.facility_id.in_(scope),
            )
        )
    sort = "-starts_on"
    key = CAMPAIGN_SORTS[sort]
    return await fetch_page(
        session, stmt, id_column=Campaign.id, sort=sort, key=key, cursor=cursor, limit=limit
    )
