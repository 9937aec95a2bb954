"""Every audit query lives here."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import AuditEvent

# Any constant: the key of the PostgreSQL advisory lock that serialises chain appends.
AUDIT_LOCK_KEY = 727_1947


@dataclass(frozen=True)
class AuditFilters:
    actor_id: uuid.UUID | None = None
    beneficiary_id: uuid.UUID | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    action: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


def _filtered(filters: AuditFilters) -> Select[AuditEvent]:
    stmt = select(AuditEvent)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor_id)
    if filters.beneficiary_id is not None:
        stmt = stmt.where(AuditEvent.beneficiary_id == filters.beneficiary_id)
    if filters.resource_type is not None:
        stmt = stmt.where(AuditEvent.resource_type == filters.resource_type)
    if filters.resource_id is not None:
        stmt = stmt.where(AuditEvent.resource_id == filters.resource_id)
    if filters.action is not None:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.occurred_from is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= filters.occurred_from)
    if filters.occurred_to is not None:
        stmt = stmt.where(AuditEvent.occurred_at < filters.occurred_to)
    return stmt


async def page(
    session: AsyncSession, filters: AuditFilters, *, before_id: int | None, limit: int
) -> list[AuditEvent]:
    """Newest first; ``before_id`` is the keyset position."""
    stmt = _filtered(filters)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    stmt = stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)
    return list((await session.scalars(stmt)).all())


async def stream(
    session: AsyncSession, filters: AuditFilters, *, batch: int = 1000, newest_first: bool = True
) -> AsyncIterator[AuditEvent]:
    """Every matching row, fetched in keyset batches (flat memory)."""
    position: int | None = None
    while True:
        stmt = _filtered(filters)
        if position is not None:
            stmt = stmt.where(
                AuditEvent.id < position if newest_first else AuditEvent.id > position
            )
        order = AuditEvent.id.desc() if newest_first else AuditEvent.id.asc()
        stmt = stmt.order_by(order).limit(batch).execution_options(populate_existing=True)
        rows = list((await session.scalars(stmt)).all())
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        position = rows[-1].id
        session.expunge_all()


@dataclass(frozen=True)
class Head:
    """The newest row of the trail and how many rows it has (0, 0 and no hash when empty)."""

    rows: int
    last_id: int
    last_hash: str | None


@dataclass(frozen=True)
class Standing:
    """What the trail holds now at and up to one row id (see audit.checkpoint)."""

    hash_at: str | None
    rows_through: int
    last_id: int


async def head(session: AsyncSession) -> Head:
    """The latest row and the row count, read in one statement (one snapshot)."""
    rows = select(func.count()).select_from(AuditEvent).scalar_subquery()
    stmt = select(AuditEvent.id, AuditEvent.hash, rows).order_by(AuditEvent.id.desc()).limit(1)
    found = (await session.execute(stmt)).first()
    if found is None:
        return Head(0, 0, None)
    return Head(rows=found[2], last_id=found[0], last_hash=found[1])


async def standing(session: AsyncSession, row_id: int) -> Standing:
    """The hash of row ``row_id`` (None when there is no such row), the number of rows up to
    and including it, and the latest id (0 when empty), read in one statement."""
    hash_at = select(AuditEvent.hash).where(AuditEvent.id == row_id)
    rows_through = select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= row_id)
    last_id = select(func.coalesce(func.max(AuditEvent.id), 0))
    stmt = select(
        hash_at.scalar_subquery(), rows_through.scalar_subquery(), last_id.scalar_subquery()
    )
    found = (await session.execute(stmt)).one()
    return Standing(hash_at=found[0], rows_through=found[1], last_id=found[2])
