"""Campaigns (đợt khám) and bulk scheduling of due people into them.

A bulk run books people in chunks, each chunk one transaction of its own (committed as it goes),
so that staff booking single checkups at the same time wait for a chunk, not for the whole run.
A run that stops half-way leaves whole chunks; running it again books only those not yet booked
(never twice in one campaign: a partial unique index says so).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.db.engine import WRITE_OPTION
from veteran_care.db.session import plan_each_execution
from veteran_care.errors import NotFound, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.kit.clock import today
from veteran_care.kit.i18n import Message
from veteran_care.models import (
    ACTIVE,
    Appointment,
    AppointmentStatus,
    Campaign,
    CampaignFacility,
    CardStatus,
    Checkup,
    InsuranceCard,
    Session,
)
from veteran_care.reference import service as reference
from veteran_care.scheduling import repository
from veteran_care.scheduling.campaign_schemas import (
    BulkBooked,
    BulkNotBooked,
    BulkSchedule,
    CampaignCreate,
)
from veteran_care.scheduling.due import DueFilters, due_statement
from veteran_care.scheduling.lifecycle import history_row
from veteran_care.scheduling.sessions import ensure_specialties

CHUNK = 250


async def create(session: AsyncSession, actor: Actor, data: CampaignCreate) -> Campaign:
    for index, facility_id in enumerate(data.facility_ids):
        try:
            await facilities.get(session, facility_id, actor)
        except NotFound as exc:
            raise Unprocessable(
                Message(
                    "facility_ids.{index}: there is no facility {facility_id} you may use.",
                    index=index,
                    facility_id=facility_id,
                ),
                code="unknown-facility",
                field=f"facility_ids.{index}",
            ) from exc
    await reference.categories(session, data.target_categories, "target_categories")
    await ensure_specialties(session, data.specialty_codes, "specialty_codes")
    campaign = Campaign(
        name=data.name,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        target_categories=data.target_categories,
        specialties=data.specialty_codes,
        sponsor=data.sponsor,
        facilities=[CampaignFacility(facility_id=f) for f in data.facility_ids],
    )
    session.add(campaign)
    await session.flush()
    await audit.record(session, actor, "create", resource_type="campaign", resource_id=campaign.id)
    return campaign


async def get(session: AsyncSession, actor: Actor, campaign_id: uuid.UUID) -> Campaign:
    campaign = await repository.get_campaign(session, campaign_id)
    principal = actor.require()
    if campaign is None or not any(principal.in_scope(f.facility_id) for f in campaign.facilities):
        raise NotFound(Message("Campaign {campaign_id} was not found.", campaign_id=campaign_id))
    return campaign


@dataclass
class _Plan:
    """In-memory places left per (date, specialty) session, updated as people are placed."""

    sessions: dict[date, dict[str, list[Session]]] = field(default_factory=dict)
    left: dict[uuid.UUID, int] = field(default_factory=dict)

    def place(
        self, codes: Sequence[str], allowed: set[date] | None, busy: set[date]
    ) -> dict[str, Session] | None:
        for day in sorted(self.sessions):
            if (allowed is not None and day not in allowed) or day in busy:
                continue
            chosen: dict[str, Session] = {}
            for code in codes:
                for candidate in self.sessions[day].get(code, []):
                    if self.left[candidate.id] > 0:
                        chosen[code] = candidate
                        break
                else:
                    break
            if len(chosen) == len(codes):
                for candidate in chosen.values():
                    self.left[candidate.id] -= 1
                return chosen
        return None


async def _card_days(
    session: AsyncSession, people: Sequence[uuid.UUID], days: Sequence[date]
) -> dict[uuid.UUID, set[date]]:
    """For each person, the candidate days on which one of their cards is valid."""
    stmt = select(
        InsuranceCard.beneficiary_id, InsuranceCard.valid_from, InsuranceCard.valid_to
    ).where(InsuranceCard.beneficiary_id.in_(people), InsuranceCard.status == CardStatus.active)
    valid: dict[uuid.UUID, set[date]] = defaultdict(set)
    for person, start, end in (await session.execute(stmt)).all():
        valid[person].update(d for d in days if start <= d <= end)
    return valid


async def _busy_days(
    session: AsyncSession, people: Sequence[uuid.UUID], start: date, end: date
) -> dict[uuid.UUID, set[date]]:
    stmt = select(Appointment.beneficiary_id, Appointment.date).where(
        Appointment.beneficiary_id.in_(people),
        Appointment.status.in_(ACTIVE),
        Appointment.date >= start,
        Appointment.date <= end,
    )
    busy: dict[uuid.UUID, set[date]] = defaultdict(set)
    for person, day in (await session.execute(stmt)).all():
        busy[person].add(day)
    return busy


async def bulk_schedule(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    campaign_id: uuid.UUID,
    data: BulkSchedule,
) -> tuple[list[BulkBooked], list[BulkNotBooked]]:
    async with sessionmaker() as session:
        campaign = await get(session, actor, campaign_id)
        if data.facility_id not in {f.facility_id for f in campaign.facilities}:
            raise Unprocessable(
                "facility_id: this facility does not take part in the campaign.",
                code="facility-not-in-campaign",
                field="facility_id",
            )
        await facilities.get(session, data.facility_id, actor)
        start, end = max(campaign.starts_on, today()), campaign.ends_on
        codes = list(campaign.specialties)
        principal = actor.require()
        filters = DueFilters(
            commune_codes=data.commune_codes,
            categories=data.categories or campaign.target_categories,
            scope=principal.scope,
            provinces=principal.province_codes,
            not_in_campaign=campaign.id,
        )
        stmt = (await due_statement(session, start, filters)).order_by(
            "commune_code", "name_search", "id"
        )
        await plan_each_execution(session)
        due = (await session.execute(stmt.limit(data.limit))).all()
        plan = _Plan()
        for found in await repository.open_sessions(
            session, data.facility_id, codes, start, end, with_places=True
        ):
            plan.sessions.setdefault(found.date, {}).setdefault(found.specialty_code, []).append(
                found
            )
            plan.left[found.id] = found.capacity - found.booked
    people = [row.id for row in due]
    booked: list[BulkBooked] = []
    not_booked: list[BulkNotBooked] = []
    days = sorted(plan.sessions)
    for offset in range(0, len(people), CHUNK):
        chunk = people[offset : offset + CHUNK]
        async with sessionmaker() as session:
            cards = await _card_days(session, chunk, days)
            busy = await _busy_days(session, chunk, start, end)
        placements: list[tuple[uuid.UUID, dict[str, Session]]] = []
        for person in chunk:
            allowed = cards.get(person, set())
            if not allowed:
                not_booked.append(BulkNotBooked(beneficiary_id=person, reason="card-not-valid"))
                continue
            chosen = plan.place(codes, allowed, busy.get(person, set()))
            if chosen is None:
                not_booked.append(BulkNotBooked(beneficiary_id=person, reason="no-place-left"))
                continue
            placements.append((person, chosen))
        done, refused = await _commit_chunk(
            sessionmaker, actor, campaign, data.facility_id, placements, plan
        )
        booked += done
        not_booked += refused
    async with sessionmaker() as session:
        await session.connection(execution_options={WRITE_OPTION: True})
        await audit.record(
            session,
            actor,
            "bulk_schedule",
            resource_type="campaign",
            resource_id=campaign_id,
            detail=f"{len(booked)} booked, {len(not_booked)} not booked",
        )
        await session.commit()
    return booked, not_booked


async def _commit_chunk(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    campaign: Campaign,
    facility_id: uuid.UUID,
    placements: list[tuple[uuid.UUID, dict[str, Session]]],
    plan: _Plan,
) -> tuple[list[BulkBooked], list[BulkNotBooked]]:
    """Lock the chunk's sessions (in id order), write its checkups and take its places, in one
    transaction. Fast path: one seat UPDATE per session for the whole chunk. If a session filled
    up meanwhile (a desk booking won a race), the chunk is rolled back and redone person by
    person."""
    if not placements:
        return [], []
    try:
        async with sessionmaker() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            await _lock(session, placements)
            result = await _write(session, actor, campaign, facility_id, placements)
            if await _take_all(session, placements):
                await session.commit()
                return result, []
            await session.rollback()
    except IntegrityError:
        pass  # someone booked one of these people meanwhile: go one by one
    booked: list[BulkBooked] = []
    refused: list[BulkNotBooked] = []
    for person, chosen in placements:
        try:
            async with sessionmaker() as session:
                await session.connection(execution_options={WRITE_OPTION: True})
                await _lock(session, [(person, chosen)])
                one = await _write(session, actor, campaign, facility_id, [(person, chosen)])
                if await _take_all(session, [(person, chosen)]):
                    await session.commit()
                    booked += one
                    continue
        except IntegrityError:
            pass
        refused.append(BulkNotBooked(beneficiary_id=person, reason="no-place-left"))
        for found in chosen.values():
            plan.left[found.id] = 0  # that session filled up behind our back
    return booked, refused


async def _lock(
    session: AsyncSession, placements: list[tuple[uuid.UUID, dict[str, Session]]]
) -> None:
    """Lock the chunk's sessions in id order before anything else: inserting appointments
    takes key-share locks on their sessions too, in no particular order."""
    await repository.lock_sessions(
        session, (found.id for _, chosen in placements for found in chosen.values())
    )


async def _take_all(
    session: AsyncSession, placements: list[tuple[uuid.UUID, dict[str, Session]]]
) -> bool:
    """Every place these placements need, or none (the caller rolls back on False)."""
    wanted: dict[uuid.UUID, int] = defaultdict(int)
    for _, chosen in placements:
        for found in chosen.values():
            wanted[found.id] += 1
    for session_id in sorted(wanted, key=str):
        if not await repository.take_seats(session, session_id, wanted[session_id]):
            return False
    return True


async def _write(
    session: AsyncSession,
    actor: Actor,
    campaign: Campaign,
    facility_id: uuid.UUID,
    placements: list[tuple[uuid.UUID, dict[str, Session]]],
) -> list[BulkBooked]:
    principal = actor.require()
    result = []
    history = []
    for person, chosen in placements:
        day = next(iter(chosen.values())).date
        checkup = Checkup(
            id=uuid.uuid4(),
            beneficiary_id=person,
            facility_id=facility_id,
            campaign_id=campaign.id,
            date=day,
            booked_by=principal.account_id,
        )
        session.add(checkup)
        for code, found in chosen.items():
            appointment = Appointment(
                id=uuid.uuid4(),
                checkup_id=checkup.id,
                session_id=found.id,
                beneficiary_id=person,
                facility_id=facility_id,
                specialty_code=code,
                date=day,
                status=AppointmentStatus.booked,
            )
            session.add(appointment)
            history.append(history_row(appointment.id, actor, None, AppointmentStatus.booked, None))
        result.append(BulkBooked(beneficiary_id=person, checkup_id=checkup.id, date=day))
    await session.flush()
    session.add_all(history)
    await session.flush()
    await audit.record_many(
        session,
        actor,
        "create",
        [
            {
                "resource_type": "checkup",
                "resource_id": item.checkup_id,
                "beneficiary_id": item.beneficiary_id,
                "detail": "bulk scheduling",
            }
            for item in result
        ],
    )
    return result
