"""Every query on the idempotency keys."""

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import IdempotencyKey, IdempotencyState


async def try_lock(session: AsyncSession, lock_key: int) -> bool:
    """PostgreSQL: a transaction-scoped advisory lock on one key, without waiting."""
    locked = await session.scalar(select(func.pg_try_advisory_xact_lock(lock_key)))
    return bool(locked)


async def get(
    session: AsyncSession, principal_kind: str, principal_id: uuid.UUID, key: str
) -> IdempotencyKey | None:
    return await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.principal_kind == principal_kind,
            IdempotencyKey.principal_id == principal_id,
            IdempotencyKey.key == key,
        )
    )


async def remove(
    session: AsyncSession,
    principal_kind: str,
    principal_id: uuid.UUID,
    key: str,
    *,
    state: IdempotencyState | None = None,
) -> None:
    stmt = delete(IdempotencyKey).where(
        IdempotencyKey.principal_kind == principal_kind,
        IdempotencyKey.principal_id == principal_id,
        IdempotencyKey.key == key,
    )
    if state is not None:
        stmt = stmt.where(IdempotencyKey.state == state)
    await session.execute(stmt)


async def finish(
    session: AsyncSession,
    principal_kind: str,
    principal_id: uuid.UUID,
    key: str,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    """A running claim becomes a stored response."""
    await session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.principal_kind == principal_kind,
            IdempotencyKey.principal_id == principal_id,
            IdempotencyKey.key == key,
            IdempotencyKey.state == IdempotencyState.running,
        )
        .values(
            state=IdempotencyState.done,
            locked_until=None,
            status_code=status_code,
            response_headers=headers,
            response_body=body,
        )
    )


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
