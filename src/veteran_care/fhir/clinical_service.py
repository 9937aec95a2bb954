"""The care side of the FHIR view: Appointment, Encounter, Observation, Condition,
MedicationDispense, and `Patient/$everything`. Facility scope and audit as in /api/v1."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.permissions import Permission, is_allowed
from veteran_care.auth.principal import Actor
from veteran_care.clinical import service as clinical
from veteran_care.errors import NotFound
from veteran_care.fhir import auditing, queries, repository
from veteran_care.fhir import clinical_mapping as mapping
from veteran_care.fhir import service as registry
from veteran_care.fhir.queries import Found
from veteran_care.fhir.search import Controls
from veteran_care.kit.i18n import Message
from veteran_care.kit.pagination import MAX_LIMIT
from veteran_care.models import Appointment, Checkup, Diagnosis, Dispense, ExaminationResult
from veteran_care.pharmacy import service as pharmacy
from veteran_care.scheduling import booking

Resource = dict[str, Any]

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
    controls: Controls,
    patient_id: uuid.UUID | None,
    encounter_id: uuid.UUID | None,
) -> Found:
    query = queries.appointments(
        scope=actor.require().scope,
        ids=controls.uuids(),
        patient_id=patient_id,
        encounter_id=encounter_id,
    )
    found = await queries.run(session, query, controls, partial(appointments, session))
    await auditing.search(
        session, actor, "appointment", f"FHIR Appointment; {found.describe()}", patient_id
    )
    return found


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
    controls: Controls,
    *,
    patient_id: uuid.UUID | None,
    status: str | None,
    dates: tuple[date | None, date | None],
) -> Found:
    query = queries.encounters(
        scope=actor.require().scope,
        ids=controls.uuids(),
        patient_id=patient_id,
        status=status,
        dates=dates,
    )
    found = await queries.run(session, query, controls, partial(encounters, session, actor))
    await auditing.search(
        session, actor, "checkup", f"FHIR Encounter; {found.describe()}", patient_id
    )
    return found


async def _result(session: AsyncSession, actor: Actor, result_id: uuid.UUID) -> ExaminationResult:
    result = await repository.result(session, result_id)
    if result is None or not actor.require().in_scope(result.facility_id):
        raise NotFound(Message("Result {result_id} was not found.", result_id=result_id))
    return result


async def read_observation(session: AsyncSession, actor: Actor, observation_id: str) -> Resource:
    match = _OBSERVATION_ID.match(observation_id)
    if match is None:
        raise NotFound(
            Message("Observation {observation_id} was not found.", observation_id=observation_id)
        )
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
        raise NotFound(
            Message("Observation {observation_id} was not found.", observation_id=observation_id)
        )
    await auditing.read(session, actor, resource_type, owner, beneficiary_id)
    return found[0]


def _owners(ids: frozenset[str] | None) -> tuple[list[uuid.UUID] | None, list[uuid.UUID] | None]:
    """The results and the checkups (health classes) that Observation ids name."""
    if ids is None:
        return None, None
    results: list[uuid.UUID] = []
    checkups: list[uuid.UUID] = []
    for value in ids:
        match = _OBSERVATION_ID.match(value)
        if match is not None:
            owners = checkups if match.group(1) == mapping.HEALTH_CLASS_KIND else results
            owners.append(uuid.UUID(value[:36]))
    return results, checkups


async def _observations(
    session: AsyncSession,
    results: queries.Query,
    classified: Any,
    controls: Controls,
) -> tuple[list[Resource], str | None]:
    rows, next_cursor = await queries.page(session, results, controls)
    found = [o for r in rows for o in mapping.observations(r)]
    if controls.cursor is None and classified is not None:
        found += [mapping.classification(c) for c in await session.scalars(classified)]
    if controls.ids is not None:
        found = [o for o in found if o["id"] in controls.ids]
    return found, next_cursor


async def search_observations(
    session: AsyncSession,
    actor: Actor,
    controls: Controls,
    patient_id: uuid.UUID | None,
    encounter_id: uuid.UUID | None,
) -> Found:
    """Pages are pages of examination results (each gives up to ten Observations); the health
    classifications of the patient's or encounter's checkups (or those `_id` names) come on the
    first page."""
    scope = actor.require().scope
    result_ids, checkup_ids = _owners(controls.ids)
    results = queries.results(
        scope=scope, ids=result_ids, patient_id=patient_id, encounter_id=encounter_id
    )
    classified = queries.classifications(
        scope=scope, ids=checkup_ids, patient_id=patient_id, encounter_id=encounter_id
    )
    if controls.count_only and controls.ids is None:
        found = Found([], None, await queries.count_observations(session, results, classified))
    elif controls.count_only:  # at most MAX_IDS results and checkups: load and count them
        every = replace(controls, count=MAX_LIMIT, cursor=None, count_only=False)
        matches = await repository.drain(
            lambda cursor: _observations(
                session, results, classified, replace(every, cursor=cursor)
            )
        )
        found = Found([], None, len(matches))
    else:
        resources, next_cursor = await _observations(session, results, classified, controls)
        found = Found(resources, next_cursor, queries.whole(controls, resources, next_cursor))
    await auditing.search(
        session, actor, "result", f"FHIR Observation; {found.describe()}", patient_id
    )
    return found


async def _conditions(session: AsyncSession, rows: Sequence[Diagnosis]) -> list[Resource]:
    results = await repository.results_by_id(session, [d.result_id for d in rows])
    return [mapping.condition(d, results[d.result_id]) for d in rows]


async def read_condition(session: AsyncSession, actor: Actor, condition_id: uuid.UUID) -> Resource:
    diagnosis = await repository.diagnosis(session, condition_id)
    if diagnosis is None:
        raise NotFound(
            Message("Condition {condition_id} was not found.", condition_id=condition_id)
        )
    try:
        await _result(session, actor, diagnosis.result_id)
    except NotFound as exc:
        raise NotFound(
            Message("Condition {condition_id} was not found.", condition_id=condition_id)
        ) from exc
    await auditing.read(session, actor, "diagnosis", diagnosis.id, diagnosis.beneficiary_id)
    return (await _conditions(session, [diagnosis]))[0]


async def search_conditions(
    session: AsyncSession,
    actor: Actor,
    controls: Controls,
    patient_id: uuid.UUID | None,
    encounter_id: uuid.UUID | None,
) -> Found:
    query = queries.conditions(
        scope=actor.require().scope,
        ids=controls.uuids(),
        patient_id=patient_id,
        encounter_id=encounter_id,
    )
    found = await queries.run(session, query, controls, partial(_conditions, session))
    await auditing.search(
        session, actor, "diagnosis", f"FHIR Condition; {found.describe()}", patient_id
    )
    return found


async def dispenses(session: AsyncSession, rows: Sequence[Dispense]) -> list[Resource]:
    medicines = await repository.medicines(session, [r.medicine_id for r in rows])
    return [mapping.medication_dispense(r, medicines.get(r.medicine_id)) for r in rows]


async def read_dispense(session: AsyncSession, actor: Actor, dispense_id: uuid.UUID) -> Resource:
    row = await pharmacy.get_dispense(session, actor, dispense_id)
    await auditing.read(session, actor, "dispense", row.id, row.beneficiary_id)
    return (await dispenses(session, [row]))[0]


async def search_dispenses(
    session: AsyncSession, actor: Actor, controls: Controls, patient_id: uuid.UUID | None
) -> Found:
    query = queries.dispenses(
        scope=actor.require().scope, ids=controls.uuids(), patient_id=patient_id
    )
    found = await queries.run(session, query, controls, partial(dispenses, session))
    await auditing.search(
        session, actor, "dispense", f"FHIR MedicationDispense; {found.describe()}", patient_id
    )
    return found
