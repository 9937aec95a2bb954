"""The audit trail: append-only, each row chained to the previous one by a SHA-256 hash.

A request inserts its events unchained (``seq``, ``prev_hash`` and ``hash`` empty); the sealer
(audit.sealer) chains committed rows a moment later, in the order it numbers them (``seq``,
1, 2, 3, ...). The chain runs in ``seq`` order, not ``id`` order: on PostgreSQL a transaction
can commit after one that took a later id.
"""

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.models.columns import UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"

    # BigInteger on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_kind: Mapped[str] = mapped_column(String(10))  # user, client, anonymous, system
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_login: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    operation: Mapped[str | None] = mapped_column(String(80))
    resource_type: Mapped[str | None] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    beneficiary_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # success, denied, failed
    status_code: Mapped[int | None] = mapped_column(Integer)
    changed_fields: Mapped[list[str] | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(String(200))
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)  # set when sealed
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_resource", "resource_type", "resource_id"),
        # What the sealer has yet to chain, found without reading the sealed trail.
        Index(
            "ix_audit_events_unsealed",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )
