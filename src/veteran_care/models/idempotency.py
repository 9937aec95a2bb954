"""Idempotency keys: one row per (principal, key), holding the first response to replay it."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.columns import UTCDateTime, enum_column

KEY_MAX_LENGTH = 255


class IdempotencyState(StrEnum):
    # A long-running request (bulk scheduling, import) that claimed its key up front.
    running = "running"
    # The response is stored: a replay returns it.
    done = "done"


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    # The primary key is the uniqueness rule: one row per key of a principal.
    principal_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    principal_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    # SHA-256 of method, path, query and canonical body: the same key with another request is
    # refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(80))
    state: Mapped[IdempotencyState] = mapped_column(
        enum_column(IdempotencyState, "idempotency_state")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # A running claim older than this was abandoned (its process died): it may be taken over.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
