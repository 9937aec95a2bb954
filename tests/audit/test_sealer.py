"""The sealer: requests insert their audit events unchained; the sealer numbers and chains the
committed ones, and the table lets nothing else change (both backends)."""

import asyncio
import contextlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.scripted import ScriptedSessions, WatchedSessions
from tests.factories import create_beneficiary
from veteran_care.audit import sealer
from veteran_care.audit import service as audit
from veteran_care.audit.chain import GENESIS, chain_hash
from veteran_care.auth.principal import Actor
from veteran_care.models import AuditEvent


async def _trail(session: AsyncSession) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id).execution_options(populate_existing=True)
    return list((await session.scalars(stmt)).all())


async def test_a_request_leaves_its_events_for_the_sealer_to_chain(
    client, session: AsyncSession
) -> None:
    for _ in range(3):
        await create_beneficiary(client)
    unsealed = await _trail(session)
    assert len(unsealed) >= 3
    assert all(e.seq is None and e.hash is None for e in unsealed)
    assert (await audit.verify(session)).unsealed == len(unsealed)

    assert await sealer.seal_in(session) == len(unsealed)
    prev = GENESIS
    for position, event in enumerate(await _trail(session), start=1):
        assert (event.seq, event.prev_hash, event.hash) == (
            position,
            prev,
            chain_hash(prev, event),
        )
        prev = event.hash
    assert await sealer.seal_in(session) == 0  # nothing twice
    verified = await audit.verify(session)
    assert (verified.intact, verified.rows, verified.unsealed) == (True, len(unsealed), 0)


async def test_later_rows_are_chained_after_the_head(client, session: AsyncSession) -> None:
    await create_beneficiary(client)
    await sealer.seal_in(session)
    head = (await _trail(session))[-1]
    await create_beneficiary(client)
    await sealer.seal_in(session)
    newer = [e for e in await _trail(session) if e.id > head.id]
    assert newer
    assert newer[0].prev_hash == head.hash
    assert [e.seq for e in newer] == list(
        range((head.seq or 0) + 1, (head.seq or 0) + 1 + len(newer))
    )
    assert (await audit.verify(session)).intact


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET detail = 'edited'",  # content, sealed or not
        "UPDATE audit_events SET seq = seq + 1000",  # a sealed row's position
        "UPDATE audit_events SET hash = prev_hash",  # a sealed row's hash
        "UPDATE audit_events SET seq = 99999, hash = 'x', prev_hash = 'y', detail = 'z'"
        " WHERE seq IS NULL",  # sealing that also edits
        "DELETE FROM audit_events",
    ],
)
async def test_the_table_lets_only_sealing_through(
    client, session: AsyncSession, statement: str
) -> None:
    await create_beneficiary(client)
    await sealer.seal_in(session)
    await create_beneficiary(client)  # and one left unsealed
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(statement))


async def test_a_skipped_position_is_found(client, session: AsyncSession, backend: str) -> None:
    for _ in range(2):
        await create_beneficiary(client)
    await sealer.seal_in(session)
    last = (await _trail(session))[-1]
    if backend == "postgresql":
        await session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        await session.execute(text("DROP TRIGGER audit_events_no_update"))
    await session.execute(
        text("UPDATE audit_events SET seq = seq + 5 WHERE id = :id"), {"id": last.id}
    )
    result = await audit.verify(session)
    assert (result.intact, result.first_broken_id) == (False, last.id)
    assert "position" in (result.reason or "")


async def _record_committed(
    sessionmaker: async_sessionmaker[AsyncSession], request_id: str
) -> None:
    async with sessionmaker() as writer:
        await audit.record(writer, Actor(None, request_id, None, "test"), "update")
        await writer.commit()


async def _sealed(session: AsyncSession, request_id: str) -> bool:
    (event,) = [e for e in await _trail(session) if e.request_id == request_id]
    return event.seq is not None and event.hash is not None


async def test_the_server_seals_on_its_own(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    # The test's one connection cannot serve the sealer and the test at once: write first,
    # and stop the sealer while its second round waits for a session that never opens.
    await _record_committed(sessionmaker, "req-periodic")
    sessions = ScriptedSessions(sessionmaker, "real")
    task = asyncio.create_task(sealer.seal_periodically(sessions, 0.01))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(sessions.played.wait(), 10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert await _sealed(session, "req-periodic")


async def test_a_server_stopping_seals_what_is_left(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    sessions = WatchedSessions(sessionmaker)
    async with sealer.sealing(sessions, 60):  # type: ignore[arg-type]
        # The test's one connection cannot serve the sealer and the test at once.
        await asyncio.wait_for(sessions.closed.wait(), 10)  # its first round is over
        await _record_committed(sessionmaker, "req-stop")
    assert await _sealed(session, "req-stop")
    assert (await audit.verify(session)).intact
