"""/api/v1/beneficiaries/{id}/contacts, /consents and /message-recipients: whom the programme
may contact about a person (Decree 13/2023/ND-CP).

Who: recording contacts and consents is `registry:write` (the desks that register people);
reading is `registry:read`, phones masked for roles that do not see identifiers (reporters)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import contacts
from veteran_care.beneficiaries.contacts_schemas import (
    ConsentCreate,
    ConsentRead,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    RecipientRead,
)
from veteran_care.db.session import WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.text import mask_fields
from veteran_care.models import BeneficiaryContact

router = APIRouter(
    route_class=IdempotentRoute, prefix="/beneficiaries/{beneficiary_id}", tags=["contacts"]
)

Reader = Annotated[Actor, allow(Permission.registry_read)]
Writer = Annotated[Actor, allow(Permission.registry_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.registry_write)]
IfMatch = Annotated[
    str | None,
    Header(max_length=200, description="ETag from your last read; required (428 without)."),
]


def _contact(contact: BeneficiaryContact, actor: Actor) -> ContactRead:
    read = ContactRead.model_validate(contact)
    return read if actor.require().sees_identifiers else mask_fields(read)


@router.post(
    "/contacts",
    status_code=status.HTTP_201_CREATED,
    summary="Add a relative or caregiver of the person",
    description="One who may receive messages (`may_receive_messages`) needs a phone.",
    responses=problem_responses(404),
)
async def create_contact(
    beneficiary_id: uuid.UUID,
    data: ContactCreate,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> ContactRead:
    contact = await contacts.add_contact(session, actor, beneficiary_id, data)
    set_etag(response, contact.version)
    response.headers["Location"] = f"/api/v1/beneficiaries/{beneficiary_id}/contacts/{contact.id}"
    return _contact(contact, actor)


@router.get(
    "/contacts",
    summary="List the person's relatives and caregivers",
    responses=problem_responses(404),
)
async def list_contacts(
    beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession
) -> list[ContactRead]:
    return [_contact(c, actor) for c in await contacts.contacts(session, actor, beneficiary_id)]


@router.get(
    "/contacts/{contact_id}",
    summary="Read a contact of the person",
    responses=problem_responses(404) | sends_etag(),
)
async def get_contact(
    beneficiary_id: uuid.UUID,
    contact_id: uuid.UUID,
    actor: Reader,
    session: WriteSession,
    response: Response,
) -> ContactRead:
    contact = await contacts.read_contact(session, actor, beneficiary_id, contact_id)
    set_etag(response, contact.version)
    return _contact(contact, actor)


@router.patch(
    "/contacts/{contact_id}",
    summary="Change a contact (name, relationship, phone, whether they receive messages)",
    responses=problem_responses(404, 412, 428),
)
async def update_contact(
    beneficiary_id: uuid.UUID,
    contact_id: uuid.UUID,
    data: ContactUpdate,
    actor: Writer,
    session: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> ContactRead:
    ids = (beneficiary_id, contact_id)
    contact = await contacts.update_contact(session, actor, ids, data, if_match)
    set_etag(response, contact.version)
    return _contact(contact, actor)


@router.post(
    "/consents",
    status_code=status.HTTP_201_CREATED,
    summary="Record the person's consent to be contacted, or its withdrawal",
    description=(
        "Given (with the preferred channel: sms, zalo or printed-list) or withdrawn, on the day "
        "the person decided; the latest recorded counts. After a withdrawal no message goes to "
        "the person or their contacts (`GET .../message-recipients` is empty)."
    ),
    responses=problem_responses(404),
)
async def create_consent(
    beneficiary_id: uuid.UUID,
    data: ConsentCreate,
    actor: IdempotentWriter,
    session: WriteSession,
    response: Response,
) -> ConsentRead:
    consent = await contacts.record_consent(session, actor, beneficiary_id, data)
    response.headers["Location"] = f"/api/v1/beneficiaries/{beneficiary_id}/consents/{consent.id}"
    return ConsentRead.model_validate(consent)


@router.get(
    "/consents",
    summary="List the person's consents (the one that counts first)",
    responses=problem_responses(404),
)
async def list_consents(
    beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession
) -> list[ConsentRead]:
    found = await contacts.consents(session, actor, beneficiary_id)
    return [ConsentRead.model_validate(c) for c in found]


@router.get(
    "/consents/{consent_id}", summary="Read a recorded consent", responses=problem_responses(404)
)
async def get_consent(
    beneficiary_id: uuid.UUID, consent_id: uuid.UUID, actor: Reader, session: WriteSession
) -> ConsentRead:
    consent = await contacts.read_consent(session, actor, beneficiary_id, consent_id)
    return ConsentRead.model_validate(consent)


@router.get(
    "/message-recipients",
    summary="Whom a message about the person would go to today",
    description=(
        "Empty without the person's consent, after its withdrawal, with the channel none, or "
        "for a person who is not active. Otherwise the person (sms/zalo with a phone, or the "
        "printed list) and, for sms/zalo, the contacts who may receive messages."
    ),
    responses=problem_responses(404),
)
async def list_message_recipients(
    beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession
) -> list[RecipientRead]:
    found = await contacts.recipients(session, actor, beneficiary_id)
    reads = [RecipientRead.model_validate(r) for r in found]
    return reads if actor.require().sees_identifiers else [mask_fields(r) for r in reads]
