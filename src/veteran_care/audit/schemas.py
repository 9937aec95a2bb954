"""The audit trail as auditors read it."""

import uuid
from datetime import datetime

from pydantic import Field

from veteran_care.kit.schemas import OutputSchema, Schema


class AuditEventRead(OutputSchema):
    """One event of the audit trail: who did or read what, when, from where, with what outcome.
    Each event's hash chains it to the one before (tamper-evident)."""

    id: int
    """Position in the trail (increasing)."""
    occurred_at: datetime
    """When (UTC)."""
    actor_kind: str
    """user, client or anonymous."""
    actor_id: uuid.UUID | None
    """The account, when known."""
    actor_login: str | None
    """The account's username or client id, when known."""
    action: str = Field(
        description="create, update, read, search, export, login, login_failure, lockout, "
        "token_revoked, access (a denied request), ..."
    )
    operation: str | None = Field(description="operationId of the API call.")
    resource_type: str | None
    """The kind of record, e.g. beneficiary, checkup, dispense."""
    resource_id: str | None
    """The record's id."""
    beneficiary_id: uuid.UUID | None
    """The person whose data it was, when it was personal data."""
    request_id: str | None
    """The request id (X-Request-ID) of the API call."""
    client_address: str | None
    """The caller's IP address."""
    outcome: str = Field(description="success, denied or failed.")
    status_code: int | None
    """HTTP status of the answer."""
    changed_fields: list[str] | None = Field(description="For writes: the fields changed.")
    detail: str | None
    """More about the event, e.g. why access was denied."""
    seq: int | None
    """Position in the hash chain (1, 2, 3, ...), set when the sealer chains the event, within
    about a second of its commit; null until then."""
    prev_hash: str | None
    """Hash of the event before it in the chain (null until sealed)."""
    hash: str | None
    """SHA-256 over prev_hash and this event's content (null until sealed)."""


class AuditPage(Schema):
    """One page of audit events, newest first; follow next_cursor for the rest."""

    items: list[AuditEventRead]
    """The events."""
    next_cursor: str | None
    """Pass as `cursor` to get the next page; null on the last page."""
