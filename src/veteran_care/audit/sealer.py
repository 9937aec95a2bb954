"""The sealer: chains committed audit events, a batch at a time, in the order it numbers them.

A request inserts its events unchained, in its own transaction (no lock, no extra statement on
the request's path). Each server runs one sealer; a round takes the chain lock (PostgreSQL; on
SQLite the write transaction is the lock), reads the head of the chain, and numbers and chains
every committed row not yet sealed, oldest id first (decision 0029). Rows a transaction commits
after a round began are sealed by the next round: the chain's order is the sealing order.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.audit import repository
from veteran_care.audit.chain import chain_hash
from veteran_care.db.session import write_session
from veteran_care.kit.background import in_background

logger = logging.getLogger(__name__)

BATCH = 2000


async def _seal_batch(session: AsyncSession) -> int:
    await repository.lock_chain(session)
    seq, prev = await repository.chain_tip(session)
    sealed = []
    for event in await repository.unsealed_rows(session, BATCH):
        seq += 1
        new = chain_hash(prev, event)
        sealed.append(repository.Seal(row_id=event.id, seq=seq, prev_hash=prev, hash=new))
        prev = new
    await repository.seal_rows(session, sealed)
    return len(sealed)


async def seal(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Chain every committed row not yet sealed, a transaction per batch; how many."""
    total = 0
    while True:
        async with write_session(sessionmaker) as session:
            sealed = await _seal_batch(session)
        total += sealed
        if sealed < BATCH:
            return total


async def seal_in(session: AsyncSession) -> int:
    """Chain every committed row not yet sealed, in the caller's transaction; how many."""
    total = 0
    while (sealed := await _seal_batch(session)) == BATCH:
        total += sealed
    return total + sealed


async def seal_periodically(
    sessionmaker: async_sessionmaker[AsyncSession], interval_seconds: float
) -> None:
    """Seal now and every ``interval_seconds`` until cancelled; a failed round is logged and
    the next one runs on time (what it left is sealed then)."""
    while True:
        try:
            await seal(sessionmaker)
        except Exception:
            logger.exception("could not seal the audit events")
        await asyncio.sleep(interval_seconds)


@contextlib.asynccontextmanager
async def sealing(
    sessionmaker: async_sessionmaker[AsyncSession], interval_seconds: float
) -> AsyncIterator[None]:
    """For the server's lifespan: the sealer runs while the block does, and seals once more
    when it ends, so that a server stopped cleanly leaves nothing unsealed."""
    try:
        async with in_background(seal_periodically(sessionmaker, interval_seconds)):
            yield
    finally:
        try:
            await seal(sessionmaker)
        except Exception:
            logger.exception("could not seal the audit events at shutdown")
