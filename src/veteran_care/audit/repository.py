"""Every audit query lives here."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import Select, Table, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit.chain import GENESIS
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
    session: AsyncSession, filters: AuditFilters, *, batch: int = 1000
) -> AsyncIterator[AuditEvent]:
    """Every matching row, newest first, fetched in keyset batches (flat memory)."""
    position: int | None = None
    while True:
        stmt = _filtered(filters)
        if position is not None:
            stmt = stmt.where(AuditEvent.id < position)
        stmt = stmt.order_by(AuditEvent.id.desc()).limit(batch)
        rows = list((await session.scalars(stmt.execution_options(populate_existing=True))).all())
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        position = rows[-1].id
        session.expunge_all()


async def chain(session: AsyncSession, *, batch: int = 1000) -> AsyncIterator[AuditEvent]:
    """The sealed rows in chain order (``seq``), fetched in keyset batches."""
    position = 0
    while True:
        stmt = select(AuditEvent).where(AuditEvent.seq > position).order_by(AuditEvent.seq)
        stmt = stmt.limit(batch).execution_options(populate_existing=True)
        rows = list((await session.scalars(stmt)).all())
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        position = rows[-1].seq or 0
        session.expunge_all()


async def unsealed(session: AsyncSession) -> int:
    """How many rows the sealer has not chained yet."""
    stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))
    return (await session.execute(stmt)).scalar_one()


@dataclass(frozen=True)
class Head:
    """The head of the sealed chain (its last row) and how many rows the chain has (0, 0 and
    no hash when empty)."""

    rows: int
    last_id: int
    last_hash: str | None


@dataclass(frozen=True)
class Standing:
    """What the sealed trail holds now at and up to one row (see audit.checkpoint): that row's
    hash, the number of rows up to it in chain order, and the id of the chain's head."""

    hash_at: str | None
    rows_through: int
    last_id: int


_SEALED = AuditEvent.seq.is_not(None)
_HEAD_ID = select(AuditEvent.id).where(_SEALED).order_by(AuditEvent.seq.desc()).limit(1)


async def head(session: AsyncSession) -> Head:
    """The head of the chain and the number of sealed rows, read in one statement."""
    rows = select(func.count()).select_from(AuditEvent).where(_SEALED).scalar_subquery()
    stmt = select(AuditEvent.id, AuditEvent.hash, rows).where(_SEALED)
    found = (await session.execute(stmt.order_by(AuditEvent.seq.desc()).limit(1))).first()
    if found is None:
        return Head(0, 0, None)
    return Head(rows=found[2], last_id=found[0], last_hash=found[1])


async def standing(session: AsyncSession, row_id: int) -> Standing:
    """Row ``row_id``'s hash (None when there is no such sealed row), the number of sealed
    rows up to and including it in chain order (all of them when it is gone), and the id of
    the chain's head (0 when empty), read in one statement."""
    that_row = (AuditEvent.id == row_id, _SEALED)
    hash_at = select(AuditEvent.hash).where(*that_row).scalar_subquery()
    seq_at = select(AuditEvent.seq).where(*that_row).scalar_subquery()
    last_seq = select(func.max(AuditEvent.seq)).scalar_subquery()
    through = AuditEvent.seq <= func.coalesce(seq_at, last_seq)
    rows_through = select(func.count()).select_from(AuditEvent).where(_SEALED, through)
    stmt = select(
        hash_at, rows_through.scalar_subquery(), func.coalesce(_HEAD_ID.scalar_subquery(), 0)
    )
    found = (await session.execute(stmt)).one()
    return Standing(hash_at=found[0], rows_through=found[1], last_id=found[2])


# The sealer's (audit.sealer) -------------------------------------------------------------------

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_TIP = select(AuditEvent.seq, AuditEvent.hash).where(_SEALED).order_by(AuditEvent.seq.desc())
_UNSEALED = select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)
_AUDIT_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]  # a mapped table
_SEAL = (
    update(_AUDIT_EVENTS)
    .where(_AUDIT_EVENTS.c.id == bindparam("row_id"))
    .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash"))
)


class Seal(TypedDict):
    """A row's place in the chain, as the sealer gives it."""

    row_id: int
    seq: int
    prev_hash: str
    hash: str


async def lock_chain(session: AsyncSession) -> None:
    """The chain lock until the transaction ends (PostgreSQL; SQLite's writer is alone)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_LOCK, {"key": AUDIT_LOCK_KEY})


async def chain_tip(session: AsyncSession) -> tuple[int, str]:
    """The position and hash of the chain's last row (0 and GENESIS when none is sealed)."""
    tip = (await session.execute(_TIP.limit(1))).first()
    return (tip.seq, tip.hash) if tip is not None else (0, GENESIS)


async def unsealed_rows(session: AsyncSession, limit: int) -> list[AuditEvent]:
    """The oldest rows not yet sealed, by id."""
    return list((await session.scalars(_UNSEALED.limit(limit))).all())


async def seal_rows(session: AsyncSession, seals: list[Seal]) -> None:
    if seals:
        await session.execute(_SEAL, seals)
