"""A person's contacts (relatives, caregivers) and consents to be contacted: recording,
changing, listing. Every write and every read is audited, as the registry's are; whom a message
may go to is ``contact_rules.message_recipients``'s to say."""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.beneficiaries.contact_rules import Recipient, message_recipients
from veteran_care.beneficiaries.contacts_schemas import (
    ConsentCreate,
    ContactCreate,
    ContactUpdate,
)
from veteran_care.errors import NotFound
from veteran_care.kit.clock import utcnow
from veteran_care.kit.etag import check_if_match
from veteran_care.kit.i18n import Message
from veteran_care.kit.validation import InvalidInput
from veteran_care.models import BeneficiaryContact, ContactConsent


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    resource: tuple[str, uuid.UUID | None],
    beneficiary_id: uuid.UUID,
    fields: Iterable[str] | None = None,
) -> None:
    await audit.record(
        session,
        actor,
        action,
        resource_type=resource[0],
        resource_id=resource[1],
        beneficiary_id=beneficiary_id,
        changed_fields=sorted(fields) if fields is not None else None,
    )


async def add_contact(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, data: ContactCreate
) -> BeneficiaryContact:
    await beneficiaries.get(session, beneficiary_id, actor)
    contact = BeneficiaryContact(beneficiary_id=beneficiary_id, **data.model_dump())
    session.add(contact)
    await session.flush()
    resource = ("beneficiary_contact", contact.id)
    await _audit(session, actor, "create", resource, beneficiary_id, data.model_fields_set)
    return contact


async def _contact(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, contact_id: uuid.UUID
) -> BeneficiaryContact:
    await beneficiaries.get(session, beneficiary_id, actor)
    contact = await session.get(BeneficiaryContact, contact_id)
    if contact is None or contact.beneficiary_id != beneficiary_id:
        raise NotFound(
            Message(
                "Contact {contact_id} of beneficiary {beneficiary_id} was not found.",
                contact_id=contact_id,
                beneficiary_id=beneficiary_id,
            )
        )
    return contact


async def read_contact(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, contact_id: uuid.UUID
) -> BeneficiaryContact:
    contact = await _contact(session, actor, beneficiary_id, contact_id)
    await _audit(session, actor, "read", ("beneficiary_contact", contact.id), beneficiary_id)
    return contact


async def contacts(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID
) -> Sequence[BeneficiaryContact]:
    await beneficiaries.get(session, beneficiary_id, actor)
    stmt = (
        select(BeneficiaryContact)
        .where(BeneficiaryContact.beneficiary_id == beneficiary_id)
        .order_by(BeneficiaryContact.full_name, BeneficiaryContact.id)
    )
    found = (await session.scalars(stmt)).all()
    await _audit(session, actor, "read", ("beneficiary_contact", None), beneficiary_id)
    return found


async def update_contact(
    session: AsyncSession,
    actor: Actor,
    ids: tuple[uuid.UUID, uuid.UUID],
    data: ContactUpdate,
    if_match: str | None,
) -> BeneficiaryContact:
    beneficiary_id, contact_id = ids
    contact = await _contact(session, actor, beneficiary_id, contact_id)
    check_if_match(if_match, contact.version)
    changes = data.model_dump(exclude_unset=True)
    phone = changes.get("phone", contact.phone)
    if changes.get("may_receive_messages", contact.may_receive_messages) and phone is None:
        field = "body.phone" if "phone" in changes else "body.may_receive_messages"
        raise InvalidInput(field, "a contact who receives messages needs a phone")
    for name, value in changes.items():
        setattr(contact, name, value)
    contact.updated_at = utcnow()
    await session.flush()
    resource = ("beneficiary_contact", contact.id)
    await _audit(session, actor, "update", resource, beneficiary_id, data.model_fields_set)
    return contact


async def record_consent(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, data: ConsentCreate
) -> ContactConsent:
    await beneficiaries.get(session, beneficiary_id, actor)
    consent = ContactConsent(
        beneficiary_id=beneficiary_id,
        status=data.status,
        decided_on=data.decided_on,
        channel=data.channel,
        recorded_by=actor.require().account_id,
        recorded_at=utcnow(),
    )
    session.add(consent)
    await session.flush()
    resource = ("contact_consent", consent.id)
    await _audit(session, actor, "create", resource, beneficiary_id, data.model_fields_set)
    return consent


async def consents(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID
) -> Sequence[ContactConsent]:
    """The person's consents, the one that counts first."""
    await beneficiaries.get(session, beneficiary_id, actor)
    stmt = (
        select(ContactConsent)
        .where(ContactConsent.beneficiary_id == beneficiary_id)
        .order_by(ContactConsent.recorded_at.desc(), ContactConsent.id.desc())
    )
    found = (await session.scalars(stmt)).all()
    await _audit(session, actor, "read", ("contact_consent", None), beneficiary_id)
    return found


async def read_consent(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID, consent_id: uuid.UUID
) -> ContactConsent:
    await beneficiaries.get(session, beneficiary_id, actor)
    consent = await session.get(ContactConsent, consent_id)
    if consent is None or consent.beneficiary_id != beneficiary_id:
        raise NotFound(
            Message(
                "Consent {consent_id} of beneficiary {beneficiary_id} was not found.",
                consent_id=consent_id,
                beneficiary_id=beneficiary_id,
            )
        )
    await _audit(session, actor, "read", ("contact_consent", consent.id), beneficiary_id)
    return consent


async def recipients(
    session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID
) -> list[Recipient]:
    await beneficiaries.get(session, beneficiary_id, actor)
    found = await message_recipients(session, beneficiary_id)
    await _audit(session, actor, "read", ("message_recipients", None), beneficiary_id)
    return found
