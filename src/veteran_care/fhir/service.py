"""The registry side of the FHIR view: Patient, Coverage, Organization, Location,
HealthcareService, Medication. Reads go through the domains' services, so that facility scope
(out of scope: 404), masking and the audit trail are exactly those of /api/v1."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import repository as beneficiaries_repository
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.errors import NotFound
from veteran_care.facilities import repository as facilities_repository
from veteran_care.facilities import service as facilities
from veteran_care.fhir import auditing, repository
from veteran_care.fhir import registry_mapping as mapping
from veteran_care.fhir.search import DateRange
from veteran_care.kit.text import fold
from veteran_care.models import Beneficiary, InsuranceCard
from veteran_care.pharmacy import repository as pharmacy_repository
from veteran_care.pharmacy import service as pharmacy
from veteran_care.reference import repository as reference
from veteran_care.scheduling import repository as scheduling_repository

Resource = dict[str, Any]
Page = tuple[list[Resource], str | None]


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
    session: AsyncSession, actor: Actor, people: list[Beneficiary]
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


def _name_matches(person: Beneficiary, name: str) -> bool:
    words = fold(person.full_name).split()
    return all(any(w.startswith(part) for w in words) for part in fold(name).split())


async def search_patients(
    session: AsyncSession,
    actor: Actor,
    *,
    identifier: str | None,
    identifier_given: bool,
    name: str | None,
    birth: DateRange,
    cursor: str | None,
    limit: int,
) -> Page:
    """`identifier` is the value to look up (None with `identifier_given`: matches nobody).
    By identifier: exact, anyone in the province (the card in the person's hand), as the
    registry's search does; by name, accent-insensitive, within the caller's scope."""
    if identifier_given and identifier is None:
        rows: list[Beneficiary] = []
        next_cursor = None
    else:
        filters = beneficiaries_repository.BeneficiaryFilters(
            q=identifier or name,
            birth_year_from=birth.year_from,
            birth_year_to=birth.year_to,
            birth_date=birth.day,
            facility_scope=actor.require().scope,
        )
        rows, next_cursor = await beneficiaries_repository.list_beneficiaries(
            session, filters, sort="full_name", cursor=cursor, limit=limit
        )
    if identifier and name:
        rows = [r for r in rows if _name_matches(r, name)]
    given = {"identifier": identifier_given, "name": bool(name), "birthdate": birth != DateRange()}
    used = [label for label, value in given.items() if value]
    await auditing.search(
        session,
        actor,
        "beneficiary",
        f"FHIR Patient; filters: {', '.join(used) or 'none'}; {len(rows)} rows",
    )
    return await patients_of(session, actor, rows), next_cursor


async def _card(session: AsyncSession, actor: Actor, card_id: uuid.UUID) -> InsuranceCard:
    card = await session.get(InsuranceCard, card_id)
    if card is None:
        raise NotFound(f"Coverage {card_id} was not found.")
    try:
        await beneficiaries.get(session, card.beneficiary_id, actor)
    except NotFound as exc:
        raise NotFound(f"Coverage {card_id} was not found.") from exc
    return card


async def read_coverage(session: AsyncSession, actor: Actor, card_id: uuid.UUID) -> Resource:
    card = await _card(session, actor, card_id)
    await auditing.read(session, actor, "card", card.id, card.beneficiary_id)
    return mapping.coverage(card, shown=actor.require().sees_identifiers)


async def search_coverage(
    session: AsyncSession, actor: Actor, patient_id: uuid.UUID, cursor: str | None, limit: int
) -> Page:
    try:
        await beneficiaries.get(session, patient_id, actor)
    except NotFound:
        return [], None  # a search names no resource: out of scope, nothing matches
    rows, next_cursor = await beneficiaries_repository.list_cards(
        session, patient_id, cursor=cursor, limit=limit
    )
    await auditing.search(session, actor, "card", f"FHIR Coverage; {len(rows)} rows", patient_id)
    shown = actor.require().sees_identifiers
    return [mapping.coverage(r, shown=shown) for r in rows], next_cursor


async def read_facility(session: AsyncSession, actor: Actor, facility_id: uuid.UUID) -> Any:
    return await facilities.get(session, facility_id, actor)


async def search_facilities(
    session: AsyncSession,
    actor: Actor,
    *,
    code: str | None,
    active: bool | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    if code is not None:
        found = await facilities_repository.id_by_code(session, code)
        facility = await facilities_repository.get(session, found) if found else None
        if facility is None or not actor.require().in_scope(facility.id):
            return [], None
        return ([facility] if active is None or facility.active == active else []), None
    return await facilities_repository.list_facilities(
        session,
        level=None,
        commune_code=None,
        active=active,
        scope=actor.require().scope,
        sort="code",
        cursor=cursor,
        limit=limit,
    )


async def read_service(session: AsyncSession, actor: Actor, service_id: uuid.UUID) -> Resource:
    service = await scheduling_repository.service(session, service_id)
    if service is None or not actor.require().in_scope(service.facility_id):
        raise NotFound(f"HealthcareService {service_id} was not found.")
    return mapping.healthcare_service(service, await specialty_names(session))


async def search_services(
    session: AsyncSession,
    actor: Actor,
    facility_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page:
    rows, next_cursor = await repository.services(
        session, scope=actor.require().scope, facility_id=facility_id, cursor=cursor, limit=limit
    )
    known = await specialty_names(session)
    return [mapping.healthcare_service(r, known) for r in rows], next_cursor


async def read_medication(session: AsyncSession, medicine_id: uuid.UUID) -> Resource:
    return mapping.medication(await pharmacy.get_medicine(session, medicine_id))


async def search_medications(
    session: AsyncSession, atc: str | None, cursor: str | None, limit: int
) -> Page:
    rows, next_cursor = await pharmacy_repository.list_medicines(
        session, atc_prefix=atc, active=None, cursor=cursor, limit=limit
    )
    return [mapping.medication(r) for r in rows], next_cursor
