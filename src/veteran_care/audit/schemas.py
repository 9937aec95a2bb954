"""The audit trail as auditors read it."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from veteran_care.kit.schemas import OutputSchema


class AuditEventRead(OutputSchema):
    id: int
    occurred_at: datetime
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_login: str | None
    action: str = Field(
        description="create, update, read, search, export, login, login_failure, lockout, "
        "token_revoked, access (a denied request), ..."
    )
    operation: str | None = Field(description="operationId of the API call.")
    resource_type: str | None
    resource_id: str | None
    beneficiary_id: uuid.UUID | None
    request_id: str | None
    client_address: str | None
    outcome: str = Field(description="success, denied or failed.")
    status_code: int | None
    changed_fields: list[str] | None = Field(description="For writes: the fields changed.")
    detail: str | None
    seq: int | None = Field(
        description="Position in the hash chain, set when the sealer chains the event (within "
        "about a second of its commit); empty until then."
    )
    prev_hash: str | None = Field(description="Hash of the previous event in the chain.")
    hash: str | None = Field(description="SHA-256 over prev_hash and this event's content.")


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None
