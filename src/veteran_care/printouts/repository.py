"""The reads behind the printouts: a few set-based queries whatever the number of people (a
campaign's slips are hundreds of checkups)."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import (
    ACTIVE,
    Appointment,
    Beneficiary,
    BeneficiaryCategory,
    BeneficiaryCategoryMembership,
    CardStatus,
    Checkup,
    CheckupConclusion,
    CheckupStatus,
    Commune,
    EthnicGroup,
    ExaminationResult,
    Facility,
    InsuranceCard,
    PastCheck,
    PastCheckStatus,
    ResultStatus,
    Session,
    Specialty,
    Venue,
)

# A checkup with its person, facility and the facility's commune name.
CheckupRow = Row[Checkup, Beneficiary, Facility, str | None]
# A session with its facility's name and its specialty's Vietnamese and English names.
SessionRow = Row[Session, str, str, str]
# id, full name, birth year, phone, commune name.
PersonRow = Row[uuid.UUID, str, int, str | None, str | None]
OPEN_CHECKUPS = (CheckupStatus.planned, CheckupStatus.arrived, CheckupStatus.finished)
VITALS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "weight_kg",
    "height_cm",
    "bmi",
    "glucose_mmol_l",
    "visual_acuity_left",
    "visual_acuity_right",
)


async def checkups(
    session: AsyncSession,
    *,
    checkup_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
) -> Sequence[CheckupRow]:
    """Open checkups (with their person and facility) by id, by a session they have an
    appointment in, or by campaign; ordered by day, part of day and name."""
    statement = (
        select(Checkup, Beneficiary, Facility, Commune.name.label("facility_commune"))
        .join(Beneficiary, Beneficiary.id == Checkup.beneficiary_id)
        .join(Facility, Facility.id == Checkup.facility_id)
        .outerjoin(Commune, Commune.code == Facility.commune_code)
        .where(Checkup.status.in_(OPEN_CHECKUPS))
        .order_by(Checkup.date, Checkup.part_of_day, Beneficiary.name_search, Checkup.id)
    )
    if checkup_id is not None:
        statement = statement.where(Checkup.id == checkup_id)
    if campaign_id is not None:
        statement = statement.where(Checkup.campaign_id == campaign_id)
    if session_id is not None:
        booked = select(Appointment.checkup_id).where(
            Appointment.session_id == session_id, Appointment.status.in_(ACTIVE)
        )
        statement = statement.where(Checkup.id.in_(booked))
    return (await session.execute(statement)).all()


async def venues_of(
    session: AsyncSession, checkup_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Where each checkup held away from its facility takes place: the venue of its active
    appointments' sessions (a commune hall, a school), as name, address and commune."""
    rows = await session.execute(
        select(Appointment.checkup_id, Venue.name, Venue.address, Commune.name)
        .join(Session, Session.id == Appointment.session_id)
        .join(Venue, Venue.id == Session.venue_id)
        .outerjoin(Commune, Commune.code == Venue.commune_code)
        .where(Appointment.checkup_id.in_(checkup_ids), Appointment.status.in_(ACTIVE))
        .order_by(Appointment.checkup_id, Session.date, Session.part_of_day)
    )
    found: dict[uuid.UUID, str] = {}
    for checkup_id, name, address, commune in rows:
        found.setdefault(checkup_id, ", ".join(p for p in (name, address, commune) if p))
    return found


async def specialties_of(
    session: AsyncSession, checkup_ids: Sequence[uuid.UUID], language: str
) -> dict[uuid.UUID, list[str]]:
    """Each checkup's active appointments' specialties, by name, in the house order."""
    name = Specialty.name_vi if language == "vi" else Specialty.name_en
    rows = await session.execute(
        select(Appointment.checkup_id, name)
        .join(Specialty, Specialty.code == Appointment.specialty_code)
        .where(Appointment.checkup_id.in_(checkup_ids), Appointment.status.in_(ACTIVE))
        .order_by(Specialty.sort_order)
    )
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for checkup_id, specialty in rows:
        found[checkup_id].append(specialty)
    return found


async def cards_on(
    session: AsyncSession, beneficiary_ids: Sequence[uuid.UUID], on: date
) -> dict[uuid.UUID, InsuranceCard]:
    """Each person's active card valid on the day (the one valid longest, if several)."""
    rows = await session.scalars(
        select(InsuranceCard)
        .where(
            InsuranceCard.beneficiary_id.in_(beneficiary_ids),
            InsuranceCard.status == CardStatus.active,
            InsuranceCard.valid_from <= on,
            InsuranceCard.valid_to >= on,
        )
        .order_by(InsuranceCard.valid_to)
    )
    return {card.beneficiary_id: card for card in rows}


async def categories_of(
    session: AsyncSession, beneficiary_ids: Sequence[uuid.UUID], language: str
) -> dict[uuid.UUID, list[tuple[str, int | None]]]:
    """Each person's categories by name, with the disability rate where there is one."""
    name = BeneficiaryCategory.name_vi if language == "vi" else BeneficiaryCategory.name_en
    rows = await session.execute(
        select(
            BeneficiaryCategoryMembership.beneficiary_id,
            name,
            BeneficiaryCategoryMembership.disability_rate,
        )
        .join(
            BeneficiaryCategory,
            BeneficiaryCategory.code == BeneficiaryCategoryMembership.category_code,
        )
        .where(BeneficiaryCategoryMembership.beneficiary_id.in_(beneficiary_ids))
        .order_by(BeneficiaryCategoryMembership.category_code)
    )
    found: dict[uuid.UUID, list[tuple[str, int | None]]] = defaultdict(list)
    for beneficiary_id, category, rate in rows:
        found[beneficiary_id].append((category, rate))
    return found


async def session_row(session: AsyncSession, session_id: uuid.UUID) -> SessionRow | None:
    """A session with its facility's name and its specialty's two names."""
    return (
        await session.execute(
            select(Session, Facility.name, Specialty.name_vi, Specialty.name_en)
            .join(Facility, Facility.id == Session.facility_id)
            .join(Specialty, Specialty.code == Session.specialty_code)
            .where(Session.id == session_id)
        )
    ).first()


async def booked_people(session: AsyncSession, session_id: uuid.UUID) -> Sequence[PersonRow]:
    """The people holding an active appointment in the session, by name."""
    return (
        await session.execute(
            select(
                Beneficiary.id,
                Beneficiary.full_name,
                Beneficiary.birth_year,
                Beneficiary.phone,
                Commune.name.label("commune"),
            )
            .join(Appointment, Appointment.beneficiary_id == Beneficiary.id)
            .outerjoin(Commune, Commune.code == Beneficiary.commune_code)
            .where(Appointment.session_id == session_id, Appointment.status.in_(ACTIVE))
            .order_by(Beneficiary.name_search, Beneficiary.id)
        )
    ).all()


async def place_names(
    session: AsyncSession, commune_code: str | None, ethnicity_code: str
) -> tuple[str | None, str | None]:
    commune = commune_code and await session.scalar(
        select(Commune.name).where(Commune.code == commune_code)
    )
    ethnicity = await session.scalar(
        select(EthnicGroup.name).where(EthnicGroup.code == ethnicity_code)
    )
    return commune or None, ethnicity


async def last_vitals(
    session: AsyncSession, beneficiary_id: uuid.UUID, before: date
) -> tuple[date, dict[str, Any]] | None:
    """The latest measurements before a day: a result of an earlier checkup, or a past check
    (the later of the two)."""
    columns = [getattr(ExaminationResult, name) for name in VITALS]
    result = (
        await session.execute(
            select(Checkup.date, *columns)
            .join(Checkup, Checkup.id == ExaminationResult.checkup_id)
            .where(
                ExaminationResult.beneficiary_id == beneficiary_id,
                ExaminationResult.status != ResultStatus.entered_in_error,
                Checkup.date < before,
                ExaminationResult.systolic_mmhg.is_not(None)
                | ExaminationResult.weight_kg.is_not(None),
            )
            .order_by(Checkup.date.desc())
            .limit(1)
        )
    ).first()
    past = (
        await session.execute(
            select(PastCheck.date, *[getattr(PastCheck, name) for name in VITALS])
            .where(
                PastCheck.beneficiary_id == beneficiary_id,
                PastCheck.status == PastCheckStatus.final,
                PastCheck.date < before,
            )
            .order_by(PastCheck.date.desc())
            .limit(1)
        )
    ).first()
    rows = [r for r in (result, past) if r is not None]
    if not rows:
        return None
    latest = max(rows, key=lambda r: r[0])
    return latest[0], dict(zip(VITALS, latest[1:], strict=True))


async def last_class(
    session: AsyncSession, beneficiary_id: uuid.UUID, before: date
) -> tuple[date, str] | None:
    """The latest health class before a day: an earlier checkup's conclusion or a past check."""
    concluded = (
        await session.execute(
            select(Checkup.date, CheckupConclusion.health_class)
            .join(Checkup, Checkup.id == CheckupConclusion.checkup_id)
            .where(and_(CheckupConclusion.beneficiary_id == beneficiary_id, Checkup.date < before))
            .order_by(Checkup.date.desc())
            .limit(1)
        )
    ).first()
    past = (
        await session.execute(
            select(PastCheck.date, PastCheck.health_class)
            .where(
                PastCheck.beneficiary_id == beneficiary_id,
                PastCheck.status == PastCheckStatus.final,
                PastCheck.date < before,
            )
            .order_by(PastCheck.date.desc())
            .limit(1)
        )
    ).first()
    rows = [(r[0], str(r[1])) for r in (concluded, past) if r is not None]
    return max(rows) if rows else None
