"""The worklist: recording an attempt to reach a person on the due list, and what it changes
(decision 0053). "will_come" books a checkup through booking's own service or links one
already booked; "moved_away" and "deceased" change the registry through the beneficiary
service's update (its rules: a date of death, never before birth; its audit), with a second
event naming the attempt; "call_later" hides the person until the day (the worklist's query)."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.beneficiaries.schemas import BeneficiaryUpdate
from veteran_care.errors import Conflict, NotFound, Unprocessable
from veteran_care.kit.clock import today, utcnow
from veteran_care.kit.etag import etag
from veteran_care.kit.i18n import Message
from veteran_care.models import (
    AttemptOutcome,
    Beneficiary,
    BeneficiaryStatus,
    CheckupStatus,
    ContactAttempt,
)
from veteran_care.scheduling import booking, worklist_queries
from veteran_care.scheduling.checkup_schemas import CheckupCreate
from veteran_care.scheduling.worklist_schemas import ContactAttemptCreate

LEAVING = {
    AttemptOutcome.moved_away: BeneficiaryStatus.moved_away,
    AttemptOutcome.deceased: BeneficiaryStatus.deceased,
}


def _only_with(outcome: AttemptOutcome, field: str, given: bool, wanted: AttemptOutcome) -> None:
    if given and outcome != wanted:
        raise Unprocessable(
            Message("{field}: only for the outcome {outcome}.", field=field, outcome=wanted.value),
            code="field-not-applicable",
            field=field,
        )


def _check_fields(data: ContactAttemptCreate, on: date) -> None:
    outcome = data.outcome
    _only_with(outcome, "call_back_on", data.call_back_on is not None, AttemptOutcome.call_later)
    _only_with(outcome, "date_of_death", data.date_of_death is not None, AttemptOutcome.deceased)
    _only_with(outcome, "booking", data.booking is not None, AttemptOutcome.will_come)
    _only_with(outcome, "checkup_id", data.checkup_id is not None, AttemptOutcome.will_come)
    if outcome == AttemptOutcome.call_later and (
        data.call_back_on is None or data.call_back_on <= on
    ):
        raise Unprocessable(
            "call_back_on: call_later needs a day after today.",
            code="call-back-day-required",
            field="call_back_on",
        )
    if outcome == AttemptOutcome.will_come and (data.booking is None) == (data.checkup_id is None):
        raise Unprocessable(
            "booking: will_come books a checkup (booking) or links one (checkup_id), one of them.",
            code="booking-or-checkup-required",
            field="booking",
        )


async def _checkup_for(
    session: AsyncSession, actor: Actor, person: Beneficiary, data: ContactAttemptCreate
) -> uuid.UUID:
    if data.booking is not None:
        made = await booking.book(
            session,
            actor,
            CheckupCreate.model_validate(
                {**data.booking.model_dump(exclude_unset=True), "beneficiary_id": person.id}
            ),
        )
        return made.id
    assert data.checkup_id is not None
    checkup = await booking.get_checkup(session, actor, data.checkup_id)
    if checkup.beneficiary_id != person.id or checkup.status not in (
        CheckupStatus.planned,
        CheckupStatus.arrived,
    ):
        raise Unprocessable(
            Message(
                "checkup_id: {checkup_id} is not a planned checkup of this person.",
                checkup_id=data.checkup_id,
            ),
            code="not-a-planned-checkup",
            field="checkup_id",
        )
    return checkup.id


async def _leave_registry(
    session: AsyncSession,
    actor: Actor,
    person: Beneficiary,
    data: ContactAttemptCreate,
    attempt_id: uuid.UUID,
) -> None:
    """The registry's own update (its rules, its audit event), then an event naming the
    attempt: who recorded it is the actor, who said so is on the attempt."""
    if person.status == BeneficiaryStatus.deceased:
        raise Conflict("The person is recorded as deceased already.", code="beneficiary-deceased")
    changes: dict[str, object] = {"status": LEAVING[data.outcome]}
    if data.outcome == AttemptOutcome.deceased:
        changes["date_of_death"] = data.date_of_death
    update = BeneficiaryUpdate.model_validate(changes)
    await beneficiaries.update(session, person.id, update, etag(person.version), actor)
    await audit.record(
        session,
        actor,
        "status_change",
        resource_type="beneficiary",
        resource_id=person.id,
        beneficiary_id=person.id,
        changed_fields=sorted(changes),
        detail=f"from contact attempt {attempt_id} ({data.outcome.value})",
    )


async def record(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, data: ContactAttemptCreate
) -> ContactAttempt:
    person = await beneficiaries.get(session, beneficiary_id, actor)
    _check_fields(data, today())
    attempt_id = uuid.uuid4()
    checkup_id = None
    if data.outcome == AttemptOutcome.will_come:
        checkup_id = await _checkup_for(session, actor, person, data)
    elif data.outcome in LEAVING:
        await _leave_registry(session, actor, person, data, attempt_id)
    attempt = ContactAttempt(
        id=attempt_id,
        beneficiary_id=person.id,
        attempted_at=utcnow(),
        attempted_by=actor.require().account_id,
        channel=data.channel,
        outcome=data.outcome,
        call_back_on=data.call_back_on,
        informant=data.informant,
        note=data.note,
        checkup_id=checkup_id,
    )
    session.add(attempt)
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="contact_attempt",
        resource_id=attempt.id,
        beneficiary_id=person.id,
    )
    return attempt


async def get_attempt(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, attempt_id: uuid.UUID
) -> ContactAttempt:
    person = await beneficiaries.get(session, beneficiary_id, actor)
    found = await session.get(ContactAttempt, attempt_id)
    if found is None or found.beneficiary_id != person.id:
        raise NotFound(
            Message("Contact attempt {attempt_id} was not found.", attempt_id=attempt_id)
        )
    await audit.record(
        session,
        actor,
        "read",
        resource_type="contact_attempt",
        resource_id=found.id,
        beneficiary_id=person.id,
    )
    return found


async def attempts(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID
) -> list[ContactAttempt]:
    person = await beneficiaries.get(session, beneficiary_id, actor)
    found = await worklist_queries.attempts_of(session, person.id)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="contact_attempt",
        beneficiary_id=person.id,
        detail=f"{len(found)} attempts",
    )
    return found
