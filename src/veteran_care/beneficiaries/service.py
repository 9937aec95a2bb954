"""Registry rules: identity uniqueness, reference checks, categories, status, cards."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import repository
from veteran_care.beneficiaries.category_rules import disability_rate_problem, main_index
from veteran_care.beneficiaries.identifiers import (
    card_holder_problem,
    national_id_type,
    parse_card_number,
)
from veteran_care.beneficiaries.schemas import (
    BeneficiaryCreate,
    BeneficiaryUpdate,
    CardCreate,
    CategoryIn,
)
from veteran_care.errors import Conflict, DomainError, NotFound, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.kit import clock
from veteran_care.kit.clock import utcnow
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.kit.races import Taken, unique_writes
from veteran_care.kit.text import fold
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    CardStatus,
    InsuranceCard,
)
from veteran_care.reference import service as reference
from veteran_care.webhooks import events as webhooks


class OutOfScope(DomainError):
    status = 403
    code = "out-of-scope"


async def get(session: AsyncSession, beneficiary_id: uuid.UUID, actor: Actor) -> Beneficiary:
    """A beneficiary the caller may see (registered at, or booked at, one of the caller's
    facilities); out of scope it does not exist (404)."""
    beneficiary = await repository.get(session, beneficiary_id)
    principal = actor.require()
    if beneficiary is None or not (
        principal.scope is None
        or await repository.visible(
            session, beneficiary, principal.facility_ids, principal.province_codes
        )
    ):
        raise NotFound(
            Message("Beneficiary {beneficiary_id} was not found.", beneficiary_id=beneficiary_id)
        )
    return beneficiary


async def read(session: AsyncSession, beneficiary_id: uuid.UUID, actor: Actor) -> Beneficiary:
    """`get`, recorded in the audit trail as a read of personal data."""
    beneficiary = await get(session, beneficiary_id, actor)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="beneficiary",
        resource_id=beneficiary.id,
        beneficiary_id=beneficiary.id,
    )
    return beneficiary


def _registered_facility(actor: Actor, wanted: uuid.UUID | None) -> uuid.UUID | None:
    """Staff of some facilities register people at one of them (their only one by default)."""
    principal = actor.require()
    if principal.scope is None:
        return wanted
    if wanted is None:
        if len(principal.facility_ids) == 1:
            return next(iter(principal.facility_ids))
        raise Unprocessable(
            "registered_facility_id: choose one of your facilities.",
            code="registered-facility-required",
            field="registered_facility_id",
        )
    if wanted not in principal.facility_ids:
        raise OutOfScope(
            "registered_facility_id: you can only register people at your own facilities."
        )
    return wanted


async def current_card(session: AsyncSession, beneficiary: Beneficiary) -> InsuranceCard | None:
    return await repository.current_card(session, beneficiary.id, clock.today())


async def _refuse_taken(
    session: AsyncSession, taken: Taken, wanted: dict[str, Any], own_id: uuid.UUID | None
) -> None:
    """When another desk registered the same CCCD or BHXH number meanwhile, the 409 names its
    record, as the check before the write does."""
    if taken.columns is None:
        return
    for field in ("national_id", "bhxh_number"):
        await _ensure_unique(session, field, wanted.get(field), own_id)
    named = ", ".join(taken.columns)
    raise Conflict(
        Message("Another beneficiary already has this {named}.", named=named),
        code="duplicate",
        fields=taken.columns,
    )


async def _ensure_unique(
    session: AsyncSession, field: str, value: str | None, own_id: uuid.UUID | None
) -> None:
    if value is None:
        return
    column = getattr(Beneficiary, field)
    existing = await repository.id_by(session, column, value)
    if existing is not None and existing != own_id:
        raise Conflict(
            Message("Another beneficiary already has this {field}.", field=field),
            code="duplicate",
            fields=[field],
            existing_id=str(existing),
        )


async def _memberships(
    session: AsyncSession, categories: Sequence[CategoryIn]
) -> list[BeneficiaryCategoryMembership]:
    known = await reference.categories(session, [c.code for c in categories], "categories")
    main = main_index(categories)
    memberships = []
    for index, item in enumerate(categories):
        field = f"categories.{index}.disability_rate"
        problem = disability_rate_problem(known[item.code], item.disability_rate)
        if problem is not None:
            raise Unprocessable(
                Message("{field}: {problem}.", field=field, problem=problem[1]),
                code=problem[0],
                field=field,
            )
        memberships.append(
            BeneficiaryCategoryMembership(
                category_code=item.code,
                disability_rate=item.disability_rate,
                recognition_date=item.recognition_date,
                decision_number=item.decision_number,
                issuing_authority=item.issuing_authority,
                is_main=index == main,
            )
        )
    return memberships


async def _check_references(session: AsyncSession, values: dict[str, Any]) -> None:
    if "ethnicity_code" in values:
        await reference.ensure_ethnic_group(session, values["ethnicity_code"], "ethnicity_code")
    if "commune_code" in values:
        await reference.ensure_commune(session, values["commune_code"], "commune_code")
    if "registered_facility_id" in values:
        await facilities.ensure_exists(
            session, values["registered_facility_id"], "registered_facility_id"
        )


async def create(session: AsyncSession, data: BeneficiaryCreate, actor: Actor) -> Beneficiary:
    values = data.model_dump(exclude={"categories"})
    values["registered_facility_id"] = _registered_facility(actor, data.registered_facility_id)
    await _ensure_unique(session, "national_id", data.national_id, None)
    await _ensure_unique(session, "bhxh_number", data.bhxh_number, None)
    await _check_references(session, values)
    if data.birth_date is not None:
        values["birth_year"] = data.birth_date.year
    beneficiary = Beneficiary(
        **values,
        name_search=fold(data.full_name),
        national_id_type=national_id_type(data.national_id) if data.national_id else None,
        categories=await _memberships(session, data.categories),
    )
    async with unique_writes(session) as taken:
        session.add(beneficiary)
    await _refuse_taken(session, taken, values, None)
    await audit.record(
        session,
        actor,
        "create",
        resource_type="beneficiary",
        resource_id=beneficiary.id,
        beneficiary_id=beneficiary.id,
        changed_fields=sorted(data.model_fields_set),
    )
    return beneficiary


def _apply_status(beneficiary: Beneficiary, changes: dict[str, Any]) -> None:
    status = changes.pop("status", beneficiary.status)
    death_given = "date_of_death" in changes
    date_of_death = changes.pop("date_of_death", beneficiary.date_of_death)
    if status == BeneficiaryStatus.deceased:
        if date_of_death is None:
            raise Unprocessable(
                "date_of_death: required when status is deceased.",
                code="date-of-death-required",
                field="date_of_death",
            )
        born = beneficiary.birth_date or date(beneficiary.birth_year, 1, 1)
        if date_of_death < born:
            raise Unprocessable(
                "date_of_death: cannot be before the birth date.",
                code="date-of-death-before-birth",
                field="date_of_death",
            )
    else:
        if death_given and date_of_death is not None:
            raise Unprocessable(
                "date_of_death: only a deceased person has a date of death.",
                code="date-of-death-not-applicable",
                field="date_of_death",
            )
        date_of_death = None
    beneficiary.status = status
    beneficiary.date_of_death = date_of_death


async def update(
    session: AsyncSession,
    beneficiary_id: uuid.UUID,
    data: BeneficiaryUpdate,
    if_match: str | None,
    actor: Actor,
) -> Beneficiary:
    beneficiary = await get(session, beneficiary_id, actor)
    check_if_match(if_match, beneficiary.version)
    changes = data.model_dump(exclude_unset=True, exclude={"categories"})
    if "registered_facility_id" in changes:
        changes["registered_facility_id"] = _registered_facility(
            actor, changes["registered_facility_id"]
        )
    if "national_id" in changes:
        await _ensure_unique(session, "national_id", changes["national_id"], beneficiary.id)
        changes["national_id_type"] = (
            national_id_type(changes["national_id"]) if changes["national_id"] else None
        )
    if "bhxh_number" in changes:
        await _ensure_unique(session, "bhxh_number", changes["bhxh_number"], beneficiary.id)
    await _check_references(session, changes)
    if changes.get("birth_date") is not None:
        changes["birth_year"] = changes["birth_date"].year
    elif (
        "birth_year" in changes
        and "birth_date" not in changes
        and beneficiary.birth_date is not None
        and beneficiary.birth_date.year != changes["birth_year"]
    ):
        changes["birth_date"] = None  # a bare year replaces a date of another year
    async with unique_writes(session) as taken:
        if "status" in changes or "date_of_death" in changes:
            _apply_status(beneficiary, changes)
        if "full_name" in changes:
            changes["name_search"] = fold(changes["full_name"])
        for name, value in changes.items():
            setattr(beneficiary, name, value)
        if data.categories is not None:
            memberships = await _memberships(session, data.categories)
            # The old list goes first: the one main category may move to another code.
            beneficiary.categories = []
            await session.flush()
            beneficiary.categories = memberships
            # A change of categories alone is still a change of the record: touching the row
            # makes the UPDATE that bumps its version.
            beneficiary.updated_at = utcnow()
    await _refuse_taken(session, taken, changes, beneficiary_id)
    await webhooks.emit(session, webhooks.beneficiary_updated(beneficiary, data.model_fields_set))
    await audit.record(
        session,
        actor,
        "status_change" if "status" in data.model_fields_set else "update",
        resource_type="beneficiary",
        resource_id=beneficiary.id,
        beneficiary_id=beneficiary.id,
        changed_fields=sorted(data.model_fields_set),
    )
    return beneficiary


async def add_card(
    session: AsyncSession, beneficiary_id: uuid.UUID, data: CardCreate, actor: Actor
) -> InsuranceCard:
    beneficiary = await get(session, beneficiary_id, actor)
    parsed = parse_card_number(data.number)
    problem = card_holder_problem(parsed, beneficiary.bhxh_number)
    if problem is not None:
        code, message = problem
        if code == "card-bhxh-mismatch":
            message = f"number: {message}."
        else:
            message = f"{message[0].upper()}{message[1:]}."
        raise Unprocessable(message, code=code, field="number")
    card = InsuranceCard(
        beneficiary_id=beneficiary.id,
        number=parsed.number,
        number_format=parsed.number_format,
        object_code=parsed.object_code,
        benefit_level=parsed.benefit_level,
        province_code=parsed.province_code,
        bhxh_number=parsed.bhxh_number,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        registration_facility_code=data.registration_facility_code,
    )
    session.add(card)
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="card",
        resource_id=card.id,
        beneficiary_id=beneficiary.id,
        changed_fields=sorted(data.model_fields_set),
    )
    return card


async def get_card(
    session: AsyncSession, beneficiary_id: uuid.UUID, card_id: uuid.UUID, actor: Actor
) -> InsuranceCard:
    await get(session, beneficiary_id, actor)
    card = await repository.get_card(session, beneficiary_id, card_id)
    if card is None:
        raise NotFound(
            Message(
                "Card {card_id} of beneficiary {beneficiary_id} was not found.",
                card_id=card_id,
                beneficiary_id=beneficiary_id,
            )
        )
    return card


_CARD_TRANSITIONS = {
    CardStatus.active: {CardStatus.cancelled, CardStatus.entered_in_error},
    CardStatus.cancelled: {CardStatus.active, CardStatus.entered_in_error},
    CardStatus.entered_in_error: set(),
}


async def set_card_status(
    session: AsyncSession,
    beneficiary_id: uuid.UUID,
    card_id: uuid.UUID,
    status: CardStatus,
    if_match: str | None,
    actor: Actor,
) -> InsuranceCard:
    card = await get_card(session, beneficiary_id, card_id, actor)
    check_if_match(if_match, card.version)
    if status != card.status:
        if status not in _CARD_TRANSITIONS[card.status]:
            raise Conflict(
                Message(
                    "A card that is {status} cannot become {status2}.",
                    status=card.status.value,
                    status2=status.value,
                ),
                code="invalid-status-transition",
            )
        card.status = status
        await session.flush()
        await audit.record(
            session,
            actor,
            "status_change",
            resource_type="card",
            resource_id=card.id,
            beneficiary_id=beneficiary_id,
            changed_fields=["status"],
        )
    return card
