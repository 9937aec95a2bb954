"""HTTP shapes of a person's contacts, consents and message recipients."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.beneficiaries.fields import FullName, PastDate, Phone
from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    Bool,
    CreatedAt,
    InputSchema,
    OutputSchema,
    UpdatedAt,
    Version,
    examples,
)
from veteran_care.models import ConsentStatus, ContactChannel, ContactRelationship


class ContactCreate(InputSchema):
    """A relative or caregiver of the person. One who may receive messages needs a phone."""

    model_config = examples(
        {
            "full_name": "Lò Thị Xuân",
            "relationship": "child",
            "phone": "0912 345 678",
            "may_receive_messages": True,
        }
    )

    full_name: FullName
    """Full name with diacritics."""
    relationship: ContactRelationship
    """spouse, child, grandchild, parent, sibling, other-relative or caregiver."""
    phone: Phone | None = None
    """Phone number; stored as digits only (and a leading +)."""
    may_receive_messages: Bool = False
    """true: messages about the person may go to this contact too (when the person consents)."""

    @field_validator("may_receive_messages")
    @classmethod
    def _needs_phone(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("phone") is None and "phone" in info.data:
            raise InvalidValue("a contact who receives messages needs a phone")
        return value


class ContactUpdate(InputSchema):
    """Partial update of a contact: only the fields present change. Needs If-Match."""

    model_config = examples({"may_receive_messages": False})

    full_name: FullName | SkipJsonSchema[None] = None
    """Full name with diacritics."""
    relationship: ContactRelationship | SkipJsonSchema[None] = None
    """spouse, child, grandchild, parent, sibling, other-relative or caregiver."""
    phone: Phone | None = None
    """Phone number; null clears it (and then the contact cannot receive messages)."""
    may_receive_messages: Bool | SkipJsonSchema[None] = None
    """true: messages about the person may go to this contact too."""


class ContactRead(OutputSchema):
    """A relative or caregiver of the person."""

    id: uuid.UUID
    """The contact's id."""
    beneficiary_id: uuid.UUID
    """The person they are a contact of."""
    full_name: str
    """Full name with diacritics."""
    relationship: ContactRelationship
    """spouse, child, grandchild, parent, sibling, other-relative or caregiver."""
    phone: str | None
    """Phone number. Masked (all but the last 4 characters) for roles that do not see
    identifiers."""
    may_receive_messages: bool
    """true: messages about the person may go to this contact too."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class ConsentCreate(InputSchema):
    """The person's decision about being contacted, as they gave it (on paper or in person):
    given with the channel they prefer, or withdrawn. The latest recorded counts."""

    model_config = examples(
        {"status": "given", "decided_on": "2026-11-20", "channel": "sms"},
        {"status": "withdrawn", "decided_on": "2026-12-01"},
    )

    status: ConsentStatus
    """given or withdrawn."""
    decided_on: PastDate
    """The day the person gave or withdrew consent (not in the future)."""
    channel: ContactChannel | None = Field(
        None,
        validate_default=True,
        description="How the person prefers to be reached: sms, zalo, printed-list (the list "
        "the commune health station prints) or none. Required when consent is given (not "
        "none); a withdrawal leaves it out (it is recorded as none).",
    )

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: ContactChannel | None, info: ValidationInfo) -> ContactChannel:
        status = info.data.get("status")
        if status == ConsentStatus.given and value in (None, ContactChannel.none):
            raise InvalidValue("a consent given names the channel: sms, zalo or printed-list")
        if status == ConsentStatus.withdrawn and value not in (None, ContactChannel.none):
            raise InvalidValue("a withdrawal has no channel")
        return value or ContactChannel.none


class ConsentRead(OutputSchema):
    """A consent as recorded: never changed; a later one replaces it."""

    id: uuid.UUID
    """The consent record's id."""
    beneficiary_id: uuid.UUID
    """The person who decided."""
    status: ConsentStatus
    """given or withdrawn."""
    decided_on: date
    """The day the person gave or withdrew consent."""
    channel: ContactChannel
    """The channel the person prefers; none for a withdrawal."""
    recorded_by: uuid.UUID | None
    """The account that recorded it."""
    recorded_at: datetime
    """When it was recorded (UTC)."""


class RecipientRead(OutputSchema):
    """Someone a message about the person would go to today."""

    kind: Literal["beneficiary", "contact"]
    """beneficiary (the person) or contact (a relative or caregiver)."""
    full_name: str
    """Their name."""
    channel: ContactChannel
    """sms, zalo or printed-list."""
    phone: str | None
    """Where an sms or zalo message goes; null for the printed list. Masked (all but the last 4
    characters) for roles that do not see identifiers."""
    contact_id: uuid.UUID | None
    """The contact's id (null for the person)."""
    relationship: ContactRelationship | None
    """The contact's relationship (null for the person)."""
