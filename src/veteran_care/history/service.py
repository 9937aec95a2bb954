"""Recording past checks through the API, listing them, withdrawing a wrong one (entered in
error: a status, never a delete). Every write and every read is audited."""

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.errors import Conflict, NotFound, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.history.rules import (
    date_problem,
    diagnoses_problem,
    place_problem,
    stored_diagnoses,
    stored_vitals,
)
from veteran_care.history.schemas import PastCheckCreate
from veteran_care.kit.clock import today, utcnow
from veteran_care.kit.i18n import Message
from veteran_care.kit.races import unique_writes
from veteran_care.kit.validation import InvalidInput
from veteran_care.models import PastCheck, PastCheckSource, PastCheckStatus


async def _same_day(
    session: AsyncSession, beneficiary_id: uuid.UUID, day: date
) -> PastCheck | None:
    stmt = select(PastCheck).where(
        PastCheck.beneficiary_id == beneficiary_id,
        PastCheck.date == day,
        PastCheck.status != PastCheckStatus.entered_in_error,
    )
    return (await session.scalars(stmt)).first()


async def record(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, data: PastCheckCreate
) -> PastCheck:
    person = await beneficiaries.get(session, beneficiary_id, actor)
    problem = date_problem(
        data.date, today(), person.birth_date, person.birth_year, person.date_of_death
    ) or place_problem(data.facility_id, data.place)
    if problem is not None:
        raise InvalidInput(f"body.{problem[0]}", problem[1])
    await facilities.ensure_exists(session, data.facility_id, "facility_id")
    problem = diagnoses_problem(data.diagnoses)
    if problem is not None:
        raise Unprocessable(
            Message("{field}: {problem}.", field=problem[0], problem=problem[1]),
            code="unknown-icd10-code",
            field=problem[0],
        )
    await _refuse_same_day(session, beneficiary_id, data.date)
    check = PastCheck(
        beneficiary_id=beneficiary_id,
        date=data.date,
        facility_id=data.facility_id,
        place=data.place,
        health_class=data.health_class,
        diagnoses=stored_diagnoses(data.diagnoses),
        source=PastCheckSource.api,
        recorded_by=actor.require().account_id,
        **stored_vitals(data.model_dump()),
    )
    async with unique_writes(session) as taken:  # another desk may record it meanwhile
        session.add(check)
    if taken.columns is not None:
        await _refuse_same_day(session, beneficiary_id, data.date)
        raise Conflict("This past check was recorded meanwhile; retry.", code="conflict")
    await audit.record(
        session,
        actor,
        "create",
        resource_type="past_check",
        resource_id=check.id,
        beneficiary_id=beneficiary_id,
        changed_fields=sorted(data.model_fields_set),
    )
    return check


async def _refuse_same_day(session: AsyncSession, beneficiary_id: uuid.UUID, day: date) -> None:
    existing = await _same_day(session, beneficiary_id, day)
    if existing is not None:
        raise Conflict(
            Message(
                "A past check of this person on {day} is recorded already: "
                "mark it entered-in-error first to replace it.",
                day=day.isoformat(),
            ),
            code="duplicate",
            fields=["beneficiary_id", "date"],
            existing_id=str(existing.id),
        )


async def listing(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID
) -> list[PastCheck]:
    """A person's past checks, newest first (withdrawn ones included, marked)."""
    await beneficiaries.get(session, beneficiary_id, actor)
    stmt = (
        select(PastCheck)
        .where(PastCheck.beneficiary_id == beneficiary_id)
        .order_by(PastCheck.date.desc(), PastCheck.id)
    )
    checks = list((await session.scalars(stmt)).all())
    await audit.record(
        session, actor, "read", resource_type="past_check", beneficiary_id=beneficiary_id
    )
    return checks


async def get(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, check_id: uuid.UUID
) -> PastCheck:
    await beneficiaries.get(session, beneficiary_id, actor)
    check = await session.get(PastCheck, check_id)
    if check is None or check.beneficiary_id != beneficiary_id:
        raise NotFound(Message("Past check {check_id} was not found.", check_id=check_id))
    return check


async def read(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, check_id: uuid.UUID
) -> PastCheck:
    check = await get(session, actor, beneficiary_id, check_id)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="past_check",
        resource_id=check.id,
        beneficiary_id=beneficiary_id,
    )
    return check


async def retract(
    session: AsyncSession,
    actor: Actor,
    beneficiary_id: uuid.UUID,
    check_id: uuid.UUID,
    reason: str,
) -> PastCheck:
    """Entered in error: no longer counted as the person's last check; the values stay."""
    check = await get(session, actor, beneficiary_id, check_id)
    if check.status == PastCheckStatus.entered_in_error:
        raise Conflict(
            "This past check was entered in error already.", code="past-check-entered-in-error"
        )
    check.status = PastCheckStatus.entered_in_error
    check.error_reason = reason
    check.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "status_change",
        resource_type="past_check",
        resource_id=check.id,
        beneficiary_id=beneficiary_id,
        changed_fields=["error_reason", "status"],
    )
    return check
