"""`Patient/$everything`: the patient and everything about them the caller may see."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.permissions import Permission, is_allowed
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import repository as beneficiaries_repository
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.facilities import repository as facilities_repository
from veteran_care.fhir import clinical_mapping as mapping
from veteran_care.fhir import clinical_service as care
from veteran_care.fhir import registry_mapping, repository
from veteran_care.fhir import service as registry
from veteran_care.kit.pagination import MAX_LIMIT
from veteran_care.scheduling import repository as scheduling_repository

Resource = dict[str, Any]


async def everything(session: AsyncSession, actor: Actor, patient_id: uuid.UUID) -> list[Resource]:
    """The patient and every resource about them that the caller's roles and facility scope
    let them see: Coverage always; Encounter and Appointment with scheduling:read; Observation
    and Condition with clinical:read; MedicationDispense and Medication with pharmacy:read;
    the Organizations and Locations they refer to."""
    principal = actor.require()
    scope = principal.scope
    person = await beneficiaries.read(session, patient_id, actor)  # scope, then audited
    found = await registry.patients_of(session, actor, [person])
    shown = principal.sees_identifiers
    cards = await repository.drain(
        lambda cursor: beneficiaries_repository.list_cards(
            session, patient_id, cursor=cursor, limit=MAX_LIMIT
        )
    )
    found += [registry_mapping.coverage(card, shown=shown) for card in cards]
    facility_ids: set[uuid.UUID] = set()
    if person.registered_facility_id is not None:
        facility_ids.add(person.registered_facility_id)
    if is_allowed(principal.roles, Permission.scheduling_read) or is_allowed(
        principal.roles, Permission.clinical_read
    ):
        checkups = await repository.drain(
            lambda cursor: scheduling_repository.list_checkups(
                session,
                scope=scope,
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
        facility_ids |= {c.facility_id for c in checkups}
        if is_allowed(principal.roles, Permission.scheduling_read):
            found += await care.encounters(session, actor, checkups)
            found += await care.appointments(session, [a for c in checkups for a in c.appointments])
        if is_allowed(principal.roles, Permission.clinical_read):
            results = await repository.drain(
                lambda cursor: repository.results(
                    session,
                    scope=scope,
                    beneficiary_id=patient_id,
                    checkup_id=None,
                    cursor=cursor,
                    limit=MAX_LIMIT,
                )
            )
            found += [o for r in results for o in mapping.observations(r)]
            conclusions = await repository.conclusions(session, [c.id for c in checkups])
            found += [mapping.classification(c) for c in conclusions]
            found += [mapping.condition(d, r) for r in results for d in r.diagnoses]
    if is_allowed(principal.roles, Permission.pharmacy_read):
        dispenses = await repository.all_dispenses(session, patient_id, scope)
        facility_ids |= {d.facility_id for d in dispenses}
        found += await care.dispenses(session, dispenses)
        medicines = await repository.medicines(session, [d.medicine_id for d in dispenses])
        found += [registry_mapping.medication(m) for m in medicines.values()]
    for facility_id in sorted(facility_ids):
        facility = await facilities_repository.get(session, facility_id)
        if facility is not None:
            found += [registry_mapping.organization(facility), registry_mapping.location(facility)]
    await audit.record(
        session,
        actor,
        "read",
        resource_type="patient_record",
        resource_id=patient_id,
        beneficiary_id=patient_id,
        detail=f"FHIR Patient/$everything; {len(found)} resources",
    )
    return found
