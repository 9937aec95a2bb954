"""The registry side of the FHIR view: Patient, Coverage, Organization, Location,
HealthcareService, Medication. Reads go through the domains' services, so that facility scope
(out of scope: 404), masking and the audit trail are exactly those of /api/v1."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.errors import NotFound
from veteran_care.facilities import service as facilities
from veteran_care.fhir import auditing, queries, repository
from veteran_care.fhir import registry_mapping as mapping
from veteran_care.fhir.queries import Found
from veteran_care.fhir.search import Controls, DateRange, Token
from veteran_care.kit.i18n import Message
from veteran_care.models import Beneficiary, Facility, FacilityService, InsuranceCard, Medicine
from veteran_care.pharmacy import service as pharmacy
from veteran_care.reference import repository as reference
from veteran_care.scheduling import repository as scheduling_repository

Resource = dict[str, Any]


@dataclass(frozen=True)
class Names:
    ethnic_groups: dict[str, str]
    categories: dict[str, str]


async def names(session: AsyncSession) -> Names:
    return Names(
        {g.code: g.name for g in await reference.ethnic_groups(session)},
        {c.code: c.name_en for c in await reference.categories(session)},
    )


async def specialty_names(session: AsyncSession) -> dict[str, str]:
    return {s.code: s.name_en for s in await scheduling_repository.specialties(session)}


async def patients_of(
    session: AsyncSession, actor: Actor, people: Sequence[Beneficiary]
) -> list[Resource]:
    known = await names(session)
    categories = await repository.memberships(session, [p.id for p in people])
    shown = actor.require().sees_identifiers
    return [
        mapping.patient(
            p,
            categories.get(p.id, []),
            shown=shown,
            ethnic_groups=known.ethnic_groups,
            category_names=known.categories,
        )
        for p in people
    ]


async def read_patient(session: AsyncSession, actor: Actor, patient_id: uuid.UUID) -> Resource:
    person = await beneficiaries.read(session, patient_id, actor)  # scope, then audited
    return (await patients_of(session, actor, [person]))[0]


async def search_patients(
    session: AsyncSession,
    actor: Actor,
    controls: Controls,
    *,
    identifier: Token | None,
    name: str | None,
    birth: DateRange,
) -> Found:
    """By identifier: exact, anyone in the province (the card in the person's hand), as the
    registry's search does; `system|` (any identifier of the system), by name (accent-
    insensitive), birth date or `_id`: within the caller's scope."""
    principal = actor.require()
    query = queries.patients(
        scope=principal.scope,
        provinces=principal.province_codes,
        ids=controls.uuids(),
        identifier=identifier,
        name=name,
        birth=birth,
    )
    found = await queries.run(session, query, controls, partial(patients_of, session, actor))
    given = {
        "_id": controls.ids is not None,
        "identifier": identifier is not None,
        "name": bool(name),
        "birthdate": birth != DateRange(),
    }
    used = [label for label, value in given.items() if value]
    await auditing.search(
        session,
        actor,
        "beneficiary",
        f"FHIR Patient; filters: {', '.join(used) or 'none'}; {found.describe()}",
    )
    return found


async def _card(session: AsyncSession, actor: Actor, card_id: uuid.UUID) -> InsuranceCard:
    card = await session.get(InsuranceCard, card_id)
    if card is None:
        raise NotFound(Message("Coverage {card_id} was not found.", card_id=card_id))
    try:
        await beneficiaries.get(session, card.beneficiary_id, actor)
    except NotFound as exc:
        raise NotFound(Message("Coverage {card_id} was not found.", card_id=card_id)) from exc
    return card


async def read_coverage(session: AsyncSession, actor: Actor, card_id: uuid.UUID) -> Resource:
    card = await _card(session, actor, card_id)
    await auditing.read(session, actor, "card", card.id, card.beneficiary_id)
    return mapping.coverage(card, shown=actor.require().sees_identifiers)


async def search_coverage(
    session: AsyncSession, actor: Actor, controls: Controls, patient_id: uuid.UUID | None
) -> Found:
    """The cards of the people in the caller's scope (out of scope: nothing matches)."""
    shown = actor.require().sees_identifiers

    async def convert(rows: Sequence[InsuranceCard]) -> list[Resource]:
        return [mapping.coverage(r, shown=shown) for r in rows]

    principal = actor.require()
    query = queries.coverages(
        scope=principal.scope,
        provinces=principal.province_codes,
        ids=controls.uuids(),
        patient_id=patient_id,
    )
    found = await queries.run(session, query, controls, convert)
    await auditing.search(session, actor, "card", f"FHIR Coverage; {found.describe()}", patient_id)
    return found


async def read_facility(session: AsyncSession, actor: Actor, facility_id: uuid.UUID) -> Any:
    return await facilities.get(session, facility_id, actor)


async def search_facilities(
    session: AsyncSession,
    actor: Actor,
    controls: Controls,
    resource_type: str,
    *,
    identifier: Token | None,
    active: bool | None,
) -> Found:
    """Organization or Location (`resource_type`): both are facilities."""
    to_resource = mapping.organization if resource_type == "Organization" else mapping.location

    async def convert(rows: Sequence[Facility]) -> list[Resource]:
        return [to_resource(r) for r in rows]

    query = queries.facilities(
        resource_type,
        scope=actor.require().scope,
        ids=controls.uuids(),
        identifier=identifier,
        active=active,
    )
    return await queries.run(session, query, controls, convert)


async def read_service(session: AsyncSession, actor: Actor, service_id: uuid.UUID) -> Resource:
    service = await scheduling_repository.service(session, service_id)
    if service is None or not actor.require().in_scope(service.facility_id):
        raise NotFound(
            Message("HealthcareService {service_id} was not found.", service_id=service_id)
        )
    return mapping.healthcare_service(service, await specialty_names(session))


async def search_services(
    session: AsyncSession, actor: Actor, controls: Controls, facility_id: uuid.UUID | None
) -> Found:
    async def convert(rows: Sequence[FacilityService]) -> list[Resource]:
        known = await specialty_names(session)
        return [mapping.healthcare_service(r, known) for r in rows]

    query = queries.services(
        scope=actor.require().scope, ids=controls.uuids(), facility_id=facility_id
    )
    return await queries.run(session, query, controls, convert)


async def read_medication(session: AsyncSession, medicine_id: uuid.UUID) -> Resource:
    return mapping.medication(await pharmacy.get_medicine(session, medicine_id))


async def search_medications(
    session: AsyncSession, controls: Controls, code: Token | None
) -> Found:
    async def convert(rows: Sequence[Medicine]) -> list[Resource]:
        return [mapping.medication(r) for r in rows]

    query = queries.medications(ids=controls.uuids(), code=code)
    return await queries.run(session, query, controls, convert)
