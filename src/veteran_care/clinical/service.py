"""Recording results (which fulfils the appointment), amending and retracting them, checkup
conclusions, and a beneficiary's health timeline."""

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.clinical import icd10
from veteran_care.clinical.schemas import (
    VITALS,
    ConclusionIn,
    DiagnosisIn,
    ResultAmend,
    ResultCreate,
)
from veteran_care.errors import Conflict, NotFound, Unprocessable
from veteran_care.kit.clock import today, utcnow
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.kit.races import unique_writes
from veteran_care.kit.validation import InvalidInput
from veteran_care.models import (
    Appointment,
    AppointmentStatus,
    Checkup,
    CheckupConclusion,
    Diagnosis,
    ExaminationResult,
    ResultAmendment,
    ResultStatus,
)
from veteran_care.scheduling import booking
from veteran_care.scheduling.lifecycle import change_status, refresh
from veteran_care.webhooks import events as webhooks

ONE_DECIMAL = Decimal("0.1")


def _decimal(value: float | None, places: str = "0.1") -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _bmi(weight: Decimal | None, height: Decimal | None) -> Decimal | None:
    if weight is None or height is None:
        return None
    metres = height / 100
    return (weight / (metres * metres)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _diagnoses(result: ExaminationResult, items: list[DiagnosisIn]) -> list[Diagnosis]:
    diagnoses = []
    for position, item in enumerate(items):
        if icd10.title(item.code) is None:
            raise Unprocessable(
                Message(
                    "diagnoses.{position}.code: {code} is not an ICD-10 code.",
                    position=position,
                    code=item.code,
                ),
                code="unknown-icd10-code",
                field=f"diagnoses.{position}.code",
            )
        diagnoses.append(
            Diagnosis(
                beneficiary_id=result.beneficiary_id,
                icd10_code=item.code,
                principal=item.principal is True,
                position=position,
            )
        )
    return diagnoses


def _apply_vitals(result: ExaminationResult, values: dict[str, Any]) -> None:
    for name in VITALS:
        if name in values:
            value = values[name]
            if name.startswith("visual_acuity"):
                setattr(result, name, _decimal(value, "0.01"))
            elif name in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm"):
                setattr(result, name, value)
            else:
                setattr(result, name, _decimal(value))
    if "findings" in values:
        result.findings = values["findings"]
    result.bmi = _bmi(result.weight_kg, result.height_cm)


async def load_result(session: AsyncSession, appointment_id: uuid.UUID) -> ExaminationResult | None:
    stmt = (
        select(ExaminationResult)
        .where(ExaminationResult.appointment_id == appointment_id)
        .options(selectinload(ExaminationResult.diagnoses))
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).one_or_none()


async def amendments(session: AsyncSession, result_id: uuid.UUID) -> list[ResultAmendment]:
    stmt = (
        select(ResultAmendment)
        .where(ResultAmendment.result_id == result_id)
        .order_by(ResultAmendment.id)
    )
    return list((await session.scalars(stmt)).all())


async def _new_result(
    session: AsyncSession, actor: Actor, appointment: Appointment, data: ResultCreate
) -> ExaminationResult:
    """The result of an open examination (a booked one is checked in first)."""
    if appointment.status == AppointmentStatus.booked:
        await change_status(session, actor, appointment, AppointmentStatus.checked_in, None)
    if appointment.status != AppointmentStatus.checked_in:
        raise Conflict(
            Message(
                "The appointment is {status}: no result can be recorded.",
                status=appointment.status.value,
            ),
            code="appointment-not-open",
        )
    result = ExaminationResult(
        appointment_id=appointment.id,
        checkup_id=appointment.checkup_id,
        beneficiary_id=appointment.beneficiary_id,
        facility_id=appointment.facility_id,
        specialty_code=appointment.specialty_code,
        recorded_by=actor.require().account_id,
    )
    _apply_vitals(result, data.model_dump(exclude={"diagnoses"}))
    result.diagnoses = _diagnoses(result, data.diagnoses)
    return result


async def record(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID, data: ResultCreate
) -> ExaminationResult:
    """Record what an examination found; the appointment becomes fulfilled."""
    appointment = await booking.get_appointment(session, actor, appointment_id)
    if await load_result(session, appointment_id) is not None:
        raise Conflict(
            "This examination has a result already: amend it instead.", code="result-exists"
        )
    if appointment.date > today():
        raise Conflict("Results are recorded on or after the day.", code="not-yet")
    raced: StaleDataError | None = None
    try:
        async with unique_writes(session) as taken:
            result = await _new_result(session, actor, appointment, data)
            session.add(result)
            await change_status(session, actor, appointment, AppointmentStatus.fulfilled, None)
            checkup = await booking.get_checkup(session, actor, appointment.checkup_id)
            refresh(checkup)
    except StaleDataError as exc:  # the appointment changed meanwhile
        raced = exc
    if raced is not None or taken.columns is not None:
        # Another screen recorded this examination a moment ago: the answer it would get now.
        if await load_result(session, appointment_id) is not None:
            raise Conflict(
                "This examination has a result already: amend it instead.", code="result-exists"
            )
        raise raced or Conflict("This examination changed meanwhile; retry.", code="conflict")
    await webhooks.emit(session, webhooks.result_recorded(result))
    await audit.record(
        session,
        actor,
        "create",
        resource_type="result",
        resource_id=result.id,
        beneficiary_id=result.beneficiary_id,
        changed_fields=sorted(data.model_fields_set),
    )
    return result


def _snapshot(result: ExaminationResult, fields: set[str]) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    for name in sorted(fields):
        if name == "diagnoses":
            snapshot[name] = [
                {"code": d.icd10_code, "principal": d.principal} for d in result.diagnoses
            ]
        elif name != "reason":
            value = getattr(result, name)
            snapshot[name] = str(value) if isinstance(value, Decimal) else value
    snapshot["status"] = result.status.value
    return snapshot


async def get(session: AsyncSession, actor: Actor, appointment_id: uuid.UUID) -> ExaminationResult:
    await booking.get_appointment(session, actor, appointment_id)
    result = await load_result(session, appointment_id)
    if result is None:
        raise NotFound(
            Message("Appointment {appointment_id} has no result.", appointment_id=appointment_id)
        )
    return result


async def amend(
    session: AsyncSession,
    actor: Actor,
    appointment_id: uuid.UUID,
    data: ResultAmend,
    if_match: str | None,
) -> ExaminationResult:
    result = await get(session, actor, appointment_id)
    check_if_match(if_match, result.version)
    if result.status == ResultStatus.entered_in_error:
        raise Conflict("This result was entered in error.", code="result-entered-in-error")
    changed = data.model_fields_set - {"reason"}
    session.add(
        ResultAmendment(
            result_id=result.id,
            amended_at=utcnow(),
            amended_by=actor.require().account_id,
            reason=data.reason,
            previous=_snapshot(result, changed),
        )
    )
    values = data.model_dump(exclude_unset=True, exclude={"reason", "diagnoses"})
    merged = {name: getattr(result, name) for name in ("systolic_mmhg", "diastolic_mmhg")}
    merged.update({k: v for k, v in values.items() if k in merged})
    if (
        merged["systolic_mmhg"] is not None
        and merged["diastolic_mmhg"] is not None
        and merged["diastolic_mmhg"] >= merged["systolic_mmhg"]
    ):
        raise InvalidInput("body.diastolic_mmhg", "diastolic_mmhg must be below systolic_mmhg")
    _apply_vitals(result, values)
    if data.diagnoses is not None:
        replacements = _diagnoses(result, data.diagnoses)
        # The old rows go first: a code kept in the new list would clash with itself (409).
        result.diagnoses = []
        await session.flush()
        result.diagnoses = replacements
    result.status = ResultStatus.amended
    result.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type="result",
        resource_id=result.id,
        beneficiary_id=result.beneficiary_id,
        changed_fields=sorted(changed),
    )
    return result


async def retract(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID, reason: str
) -> ExaminationResult:
    """Entered in error: a status, not a delete; the values stay for the record."""
    result = await get(session, actor, appointment_id)
    if result.status == ResultStatus.entered_in_error:
        raise Conflict("This result was entered in error already.", code="result-entered-in-error")
    session.add(
        ResultAmendment(
            result_id=result.id,
            amended_at=utcnow(),
            amended_by=actor.require().account_id,
            reason=reason,
            previous=_snapshot(result, set()),
        )
    )
    result.status = ResultStatus.entered_in_error
    result.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "status_change",
        resource_type="result",
        resource_id=result.id,
        beneficiary_id=result.beneficiary_id,
        changed_fields=["status"],
    )
    return result


async def conclude(
    session: AsyncSession,
    actor: Actor,
    checkup_id: uuid.UUID,
    data: ConclusionIn,
    if_match: str | None,
) -> CheckupConclusion:
    checkup = await booking.get_checkup(session, actor, checkup_id)
    if not any(a.status == AppointmentStatus.fulfilled for a in checkup.appointments):
        raise Conflict("No examination of this checkup has a result yet.", code="nothing-examined")
    conclusion = await session.get(CheckupConclusion, checkup.id)
    if conclusion is None:
        conclusion = CheckupConclusion(checkup_id=checkup.id, beneficiary_id=checkup.beneficiary_id)
        session.add(conclusion)
    else:
        check_if_match(if_match, conclusion.version)
    for name, value in data.model_dump().items():
        setattr(conclusion, name, value)
    conclusion.concluded_by = actor.require().account_id
    conclusion.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "update" if conclusion.version > 1 else "create",
        resource_type="conclusion",
        resource_id=checkup.id,
        beneficiary_id=checkup.beneficiary_id,
        changed_fields=sorted(data.model_fields_set),
    )
    return conclusion


async def get_conclusion(
    session: AsyncSession, actor: Actor, checkup_id: uuid.UUID
) -> CheckupConclusion:
    checkup: Checkup = await booking.get_checkup(session, actor, checkup_id)
    conclusion = await session.get(CheckupConclusion, checkup.id)
    if conclusion is None:
        raise NotFound(
            Message("Checkup {checkup_id} has no conclusion yet.", checkup_id=checkup_id)
        )
    return conclusion
