"""Each printout: its content gathered within the caller's facilities, the reading audited
(printouts hold personal data), the PDF laid out off the event loop."""

import asyncio
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor, Principal
from veteran_care.errors import NotFound
from veteran_care.kit.i18n import Message, translate
from veteran_care.kit.text import mask
from veteran_care.models import Campaign, Checkup
from veteran_care.printouts import daylist, form, repository, slip_token, slips
from veteran_care.printouts.content import (
    DayList,
    DayListRow,
    HealthCheckForm,
    Slip,
    Vitals,
)
from veteran_care.printouts.document import DOMAIN, SEXES


def _shown(principal: Principal, value: str | None) -> str | None:
    return value if principal.sees_identifiers else mask(value)


async def _audit(
    session: AsyncSession, actor: Actor, kind: str, rows: list[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """One event per person printed: (resource id, beneficiary id)."""
    await audit.record_many(
        session,
        actor,
        "read",
        [
            {
                "resource_type": kind,
                "resource_id": resource,
                "beneficiary_id": person,
                "detail": f"printed: {kind}",
            }
            for resource, person in rows
        ],
    )


async def _checkup_rows(
    session: AsyncSession,
    actor: Actor,
    checkup_id: uuid.UUID | None,
    session_id: uuid.UUID | None,
    campaign_id: uuid.UUID | None,
) -> tuple[list[repository.CheckupRow], str | None]:
    principal = actor.require()
    campaign_name = None
    if campaign_id is not None:
        campaign_name = await session.scalar(
            select(Campaign.name).where(Campaign.id == campaign_id)
        )
        if campaign_name is None:
            raise NotFound(
                Message("Campaign {campaign_id} was not found.", campaign_id=campaign_id)
            )
    if session_id is not None:
        found = await repository.session_row(session, session_id)
        if found is None or not principal.in_scope(found[0].facility_id):
            raise NotFound(Message("Session {session_id} was not found.", session_id=session_id))
    rows = await repository.checkups(
        session, checkup_id=checkup_id, session_id=session_id, campaign_id=campaign_id
    )
    rows = [r for r in rows if principal.in_scope(r.Checkup.facility_id)]
    if checkup_id is not None and not rows:
        raise NotFound(
            Message("Checkup {checkup_id} was not found (or is cancelled).", checkup_id=checkup_id)
        )
    return rows, campaign_name


async def slips_pdf(
    session: AsyncSession,
    actor: Actor,
    secret: str,
    language: str,
    *,
    checkup_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
) -> bytes:
    """The slips of one checkup, of a session's checkups or of a campaign's, in one file."""
    rows, campaign_name = await _checkup_rows(session, actor, checkup_id, session_id, campaign_id)
    ids = [r.Checkup.id for r in rows]
    people = [r.Beneficiary.id for r in rows]
    specialties = await repository.specialties_of(session, ids, language)
    venues = await repository.venues_of(session, ids)
    cards = {}
    for day in {r.Checkup.date for r in rows}:
        cards.update(await repository.cards_on(session, people, day))
    content = []
    for r in rows:
        checkup: Checkup = r.Checkup
        card = cards.get(r.Beneficiary.id)
        content.append(
            Slip(
                full_name=r.Beneficiary.full_name,
                birth_year=r.Beneficiary.birth_year,
                national_id=mask(r.Beneficiary.national_id),
                card_number=mask(card.number) if card else None,
                facility_name=r.Facility.name,
                facility_address=r.Facility.address or r.facility_commune,
                date=checkup.date,
                part_of_day=checkup.part_of_day.value if checkup.part_of_day else None,
                specialties=specialties.get(checkup.id, []),
                token=slip_token.sign(secret, checkup.id),
                campaign_name=campaign_name,
                venue=venues.get(checkup.id),
            )
        )
    await _audit(session, actor, "appointment_slip", list(zip(ids, people, strict=True)))
    return await asyncio.to_thread(slips.render, content, language)


def _categories(names: list[tuple[str, int | None]]) -> list[str]:
    return [f"{name} ({rate}%)" if rate else name for name, rate in names]


async def day_list_pdf(
    session: AsyncSession, actor: Actor, language: str, session_id: uuid.UUID
) -> bytes:
    """Everyone booked in a session, by name, with a column to sign."""
    principal = actor.require()
    found = await repository.session_row(session, session_id)
    if found is None or not principal.in_scope(found[0].facility_id):
        raise NotFound(Message("Session {session_id} was not found.", session_id=session_id))
    planned, facility_name, name_vi, name_en = found
    people = await repository.booked_people(session, session_id)
    categories = await repository.categories_of(session, [p.id for p in people], language)
    rows = [
        DayListRow(
            order=order,
            full_name=person.full_name,
            birth_year=person.birth_year,
            commune=person.commune,
            categories=", ".join(name for name, _ in categories.get(person.id, [])),
            phone=_shown(principal, person.phone),
        )
        for order, person in enumerate(people, start=1)
    ]
    content = DayList(
        facility_name=facility_name,
        specialty=name_vi if language == "vi" else name_en,
        date=planned.date,
        part_of_day=planned.part_of_day.value,
        rows=rows,
    )
    await _audit(session, actor, "day_list", [(session_id, p.id) for p in people])
    return await asyncio.to_thread(daylist.render, content, language)


async def _form_content(
    session: AsyncSession, principal: Principal, language: str, row: repository.CheckupRow
) -> HealthCheckForm:
    checkup: Checkup = row.Checkup
    person = row.Beneficiary
    card = (await repository.cards_on(session, [person.id], checkup.date)).get(person.id)
    categories = await repository.categories_of(session, [person.id], language)
    specialties = await repository.specialties_of(session, [checkup.id], language)
    commune, ethnicity = await repository.place_names(
        session, person.commune_code, person.ethnicity_code
    )
    vitals = await repository.last_vitals(session, person.id, checkup.date)
    health_class = await repository.last_class(session, person.id, checkup.date)
    address = ", ".join(part for part in (person.address_line, commune) if part) or None
    born = person.birth_date.strftime("%d/%m/%Y") if person.birth_date else str(person.birth_year)
    return HealthCheckForm(
        facility_name=row.Facility.name,
        full_name=person.full_name,
        sex=translate(SEXES[person.sex.value], language, DOMAIN),
        birth=born,
        ethnicity=ethnicity,
        national_id=_shown(principal, person.national_id),
        address=address,
        card_number=_shown(principal, card.number) if card else None,
        card_valid=(f"{card.valid_from:%d/%m/%Y} - {card.valid_to:%d/%m/%Y}" if card else None),
        card_facility=card.registration_facility_code if card else None,
        categories=_categories(categories.get(person.id, [])),
        date=checkup.date,
        specialties=specialties.get(checkup.id, []),
        last_vitals=Vitals(vitals[0], **vitals[1]) if vitals else None,
        last_class=health_class[1] if health_class else None,
        last_class_on=health_class[0] if health_class else None,
    )


async def health_form_pdf(
    session: AsyncSession, actor: Actor, language: str, checkup_id: uuid.UUID
) -> bytes:
    """The periodic health-check form of one checkup, pre-filled."""
    rows, _ = await _checkup_rows(session, actor, checkup_id, None, None)
    content = await _form_content(session, actor.require(), language, rows[0])
    person = rows[0].Beneficiary.id
    await _audit(session, actor, "health_check_form", [(checkup_id, person)])
    return await asyncio.to_thread(form.render, content, language)
