"""The care side of the FHIR view: Appointment, Encounter, Observation, Condition,
MedicationDispense, and `Patient/$everything`. Facility scope and audit as in /api/v1."""

import re
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.permissions import Permission, is_allowed
from veteran_care.auth.principal import Actor
from veteran_care.clinical import service as clinical
from veteran_care.errors import NotFound
from veteran_care.fhir import auditing, repository
from veteran_care.fhir import clinical_mapping as mapping
from veteran_care.fhir import service as registry
from veteran_care.kit.pagination import MAX_LIMIT
from veteran_care.models import Appointment, Checkup, Diagnosis, Dispense, ExaminationResult
from veteran_care.pharmacy import repository as pharmacy_repository
from veteran_care.pharmacy import service as pharmacy
from veteran_care.scheduling import booking
from veteran_care.scheduling import repository as scheduling_repository

Resource = dict[str, Any]
Page = tuple[list[Resource], str | None]

_KINDS = "|".join((*mapping.RESULT_KINDS, mapping.HEALTH_CLASS_KIND))
OBSERVATION_ID_PATTERN = (
    rf"^[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}-({_KINDS})$"
)
_OBSERVATION_ID = re.compile(OBSERVATION_ID_PATTERN)


async def appointments(session: AsyncSession, rows: Sequence[Appointment]) -> list[Resource]:
    parts = await repository.parts_of_day(session, [r.session_id for r in rows])
    names = await registry.specialty_names(session)
    return [mapping.appointment(r, parts.get(r.session_id), names) for r in rows]


async def read_appointment(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID
) -> Resource:
    row = await booking.get_appointment(session, actor, appointment_id)
    await auditing.read(session, actor, "appointment", row.id, row.beneficiary_id)
    return (await appointments(session, [row]))[0]


async def search_appointments(
    session: AsyncSession,
    actor: Actor,
    patient_id: uuid.UUID | None,
    encounter_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page:
    rows, next_cursor = await repository.appointments(
        session,
        scope=actor.require().scope,
        beneficiary_id=patient_id,
        checkup_id=encounter_id,
        cursor=cursor,
        limit=limit,
    )
    await auditing.search(
        session, actor, "appointment", f"FHIR Appointment; {len(rows)} rows", patient_id
    )
    return await appointments(session, rows), next_cursor


async def encounters(
    session: AsyncSession, actor: Actor, rows: Sequence[Checkup]
) -> list[Resource]:
    """Encounter.diagnosis refers to Conditions: only for callers who may read them."""
    if not is_allowed(actor.require().roles, Permission.clinical_read):
        return [mapping.encounter(r) for r in rows]
    diagnoses = await repository.diagnoses_of_checkups(session, [r.id for r in rows])
    return [mapping.encounter(r, diagnoses.get(r.id, [])) for r in rows]


async def read_encounter(session: AsyncSession, actor: Actor, checkup_id: uuid.UUID) -> Resource:
    checkup = await booking.read_checkup(session, actor, checkup_id)  # scope, then audited
    return (await encounters(session, actor, [checkup]))[0]


async def search_encounters(
    session: AsyncSession,
    actor: Actor,
    *,
    patient_id: uuid.UUID | None,
    status: str | None,
    dates: tuple[date | None, date | None],
    cursor: str | None,
    limit: int,
) -> Page:
    rows, next_cursor = await scheduling_repository.list_checkups(
        session,
        scope=actor.require().scope,
        facility_id=None,
        beneficiary_id=patient_id,
        campaign_id=None,
        status=status,
        date_from=dates[0],
        date_to=dates[1],
        sort="-date",
        cursor=cursor,
        limit=limit,
    )
    await auditing.search(
        session, actor, "checkup", f"FHIR Encounter; {len(rows)} rows", patient_id
    )
    return await encounters(session, actor, rows), next_cursor


async def _result(session: AsyncSession, actor: Actor, result_id: uuid.UUID) -> ExaminationResult:
    result = await repository.result(session, result_id)
    if result is None or not actor.require().in_scope(result.facility_id):
        raise NotFound(f"Result {result_id} was not found.")
    return result


async def read_observation(session: AsyncSession, actor: Actor, observation_id: str) -> Resource:
    match = _OBSERVATION_ID.match(observation_id)
    if match is None:
        raise NotFound(f"Observation {observation_id} was not found.")
    owner = uuid.UUID(observation_id[:36])
    kind = match.group(1)
    if kind == mapping.HEALTH_CLASS_KIND:
        conclusion = await clinical.get_conclusion(session, actor, owner)
        found = [mapping.classification(conclusion)]
        beneficiary_id, resource_type = conclusion.beneficiary_id, "conclusion"
    else:
        result = await _result(session, actor, owner)
        found = [o for o in mapping.observations(result) if o["id"] == observation_id]
        beneficiary_id, resource_type = result.beneficiary_id, "result"
    if not found:
        raise NotFound(f"Observation {observation_id} was not found.")
    await auditing.read(session, actor, resource_type, owner, beneficiary_id)
    return found[0]


async def _classifications(
    session: AsyncSession,
    actor: Actor,
    patient_id: uuid.UUID | None,
    encounter_id: uuid.UUID | None,
) -> list[Resource]:
    if encounter_id is not None:
        checkup = await scheduling_repository.get_checkup(session, encounter_id)
        if checkup is None or not actor.require().in_scope(checkup.facility_id):
            return []
        if patient_id is not None and checkup.beneficiary_id != patient_id:
            return []
        ids = [checkup.id]
    elif patient_id is not None:
        ids = [
            c.id
            for c in await repository.drain(
                lambda cursor: scheduling_repository.list_checkups(
                    session,
                    scope=actor.require().scope,
                    facility_id=None,
                    beneficiary_id=patient_id,
                    campaign_id=None,
                    status=None,
                    date_from=None,
                    date_to=None,
                    sort="date",
                    cursor=cursor,
                    limit=MAX_LIMIT,
                )
            )
        ]
    else:
        return []
    return [mapping.classification(c) for c in await repository.conclusions(session, ids)]


async def search_observations(
    session: AsyncSession,
    actor: Actor,
    patient_id: uuid.UUID | None,
    encounter_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page:
    """Pages are pages of examination results (each gives up to ten Observations); the health
    classifications of the patient's or encounter's checkups come on the first page."""
    rows, next_cursor = await repository.results(
        session,
        scope=actor.require().scope,
        beneficiary_id=patient_id,
        checkup_id=encounter_id,
        cursor=cursor,
        limit=limit,
    )
    found = [o for r in rows for o in mapping.observations(r)]
    if cursor is None:
        found += await _classifications(session, actor, patient_id, encounter_id)
    await auditing.search(
        session, actor, "result", f"FHIR Observation; {len(found)} resources", patient_id
    )
    return found, next_cursor


async def _conditions(session: AsyncSession, rows: Sequence[Diagnosis]) -> list[Resource]:
    results = await repository.results_by_id(session, [d.result_id for d in rows])
    return [mapping.condition(d, results[d.result_id]) for d in rows]


async def read_condition(session: AsyncSession, actor: Actor, condition_id: uuid.UUID) -> Resource:
    diagnosis = await repository.diagnosis(session, condition_id)
    if diagnosis is None:
        raise NotFound(f"Condition {condition_id} was not found.")
    try:
        await _result(session, actor, diagnosis.result_id)
    except NotFound as exc:
        raise NotFound(f"Condition {condition_id} was not found.") from exc
    await auditing.read(session, actor, "diagnosis", diagnosis.id, diagnosis.beneficiary_id)
    return (await _conditions(session, [diagnosis]))[0]


async def search_conditions(
    session: AsyncSession,
    actor: Actor,
    patient_id: uuid.UUID | None,
    encounter_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page:
    rows, next_cursor = await repository.diagnoses(
        session,
        scope=actor.require().scope,
        beneficiary_id=patient_id,
        checkup_id=encounter_id,
        cursor=cursor,
        limit=limit,
    )
    await auditing.search(
        session, actor, "diagnosis", f"FHIR Condition; {len(rows)} rows", patient_id
    )
    return await _conditions(session, rows), next_cursor


async def dispenses(session: AsyncSession, rows: Sequence[Dispense]) -> list[Resource]:
    medicines = await repository.medicines(session, [r.medicine_id for r in rows])
    return [mapping.medication_dispense(r, medicines.get(r.medicine_id)) for r in rows]


async def read_dispense(session: AsyncSession, actor: Actor, dispense_id: uuid.UUID) -> Resource:
    row = await pharmacy.get_dispense(session, actor, dispense_id)
    await auditing.read(session, actor, "dispense", row.id, row.beneficiary_id)
    return (await dispenses(session, [row]))[0]


async def search_dispenses(
    session: AsyncSession,
    actor: Actor,
    patient_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page:
    rows, next_cursor = await pharmacy_repository.list_dispenses(
        session,
        scope=actor.require().scope,
        beneficiary_id=patient_id,
        facility_id=None,
        dispensed_from=None,
        dispensed_to=None,
        cursor=cursor,
        limit=limit,
    )
    await auditing.search(
        session, actor, "dispense", f"FHIR MedicationDispense; {len(rows)} rows", patient_id
    )
    return await dispenses(session, rows), next_cursor
