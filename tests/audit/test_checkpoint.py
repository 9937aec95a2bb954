"""Audit checkpoints: a signed head the trail must still reach, so that rows deleted from the
end (which leave a shorter chain that still verifies) are caught and named."""

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from typer.testing import CliRunner

from tests.audit.scripted import ScriptedSessions
from veteran_care import migrate
from veteran_care.audit import checkpoint as checkpoints
from veteran_care.audit import sealer
from veteran_care.audit import service as audit
from veteran_care.audit.chain import chain_hash
from veteran_care.cli import app
from veteran_care.config import Settings, get_settings
from veteran_care.models import AuditEvent

CHECKPOINT_KEY = "operator-kept-key-" + "k" * 32


def _event(number: int) -> AuditEvent:
    return AuditEvent(
        occurred_at=datetime.now(UTC),
        actor_kind="system",
        actor_id=None,
        actor_login="system",
        action="update",
        operation="test_checkpoint",
        resource_type="beneficiary",
        resource_id=str(uuid.uuid4()),
        beneficiary_id=None,
        request_id=f"req-{number}",
        client_address=None,
        outcome="success",
        status_code=None,
        changed_fields=["phone"],
        detail=None,
    )


async def _append(session: AsyncSession, count: int) -> list[AuditEvent]:
    """Add ``count`` new rows and seal them, as the recorder and the sealer do."""
    events = [_event(n) for n in range(count)]
    session.add_all(events)
    await session.flush()
    await sealer.seal_in(session)
    for event in events:
        await session.refresh(event)
    return events


def _untrigger(backend: str) -> list[str]:
    """Statements that switch the append-only triggers off, as a database superuser could."""
    if backend == "postgresql":
        return ["ALTER TABLE audit_events DISABLE TRIGGER USER"]
    return ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]


async def _tamper(session: AsyncSession, backend: str, *statements: str) -> None:
    for statement in [*_untrigger(backend), *statements]:
        await session.execute(text(statement))
    session.expunge_all()


async def _signed_head(session: AsyncSession, key: bytes) -> checkpoints.Checkpoint:
    """A checkpoint of the head now, through its file form."""
    return checkpoints.loads(checkpoints.dumps(await checkpoints.take(session), key), key)


async def test_an_intact_trail_reaches_its_checkpoint(session: AsyncSession) -> None:
    key = b"k" * 32
    rows = await _append(session, 3)
    checkpoint = await _signed_head(session, key)
    assert (checkpoint.last_id, checkpoint.last_hash) == (rows[-1].id, rows[-1].hash)
    await _append(session, 2)  # the trail grows after the checkpoint: still fine
    assert (await audit.verify(session)).intact
    head = await checkpoints.check(session, checkpoint)
    assert head.reached
    assert head.problem() is None


async def test_rows_deleted_from_the_end_are_named(session: AsyncSession, backend: str) -> None:
    key = b"k" * 32
    rows = await _append(session, 5)
    checkpoint = await _signed_head(session, key)
    first_gone, last_gone = rows[-2].id, rows[-1].id
    await _tamper(session, backend, f"DELETE FROM audit_events WHERE id >= {first_gone}")
    assert (await audit.verify(session)).intact  # the shorter chain alone still verifies
    head = await checkpoints.check(session, checkpoint)
    assert not head.reached
    assert head.missing_ids == range(first_gone, last_gone + 1)
    assert head.missing_rows == 2
    assert f"ids {first_gone} to {last_gone} (2 rows missing" in (head.problem() or "")


async def test_a_rewritten_row_at_the_head_is_caught(session: AsyncSession, backend: str) -> None:
    """Whoever edits the last row and recomputes its hash keeps the chain valid; the
    checkpoint still names the row."""
    key = b"k" * 32
    rows = await _append(session, 3)
    checkpoint = await _signed_head(session, key)
    last = rows[-1]
    session.expunge(last)
    last.detail = "edited"
    forged = chain_hash(last.prev_hash, last)
    await _tamper(
        session,
        backend,
        f"UPDATE audit_events SET detail = 'edited', hash = '{forged}' WHERE id = {last.id}",
    )
    assert (await audit.verify(session)).intact
    head = await checkpoints.check(session, checkpoint)
    assert not head.reached
    assert head.changed_id == last.id
    assert f"row {last.id}, the checkpoint's head, was changed" in (head.problem() or "")


def _checkpoint() -> checkpoints.Checkpoint:
    return checkpoints.Checkpoint(
        rows=7, last_id=9, last_hash="a" * 64, written_at=datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    )


def test_a_changed_checkpoint_file_is_refused() -> None:
    key = b"k" * 32
    document = json.loads(checkpoints.dumps(_checkpoint(), key))
    assert checkpoints.loads(json.dumps(document), key) == _checkpoint()
    document["last_id"] = 5  # pretend the trail ended earlier
    with pytest.raises(checkpoints.CheckpointError, match="signature does not match"):
        checkpoints.loads(json.dumps(document), key)
    with pytest.raises(checkpoints.CheckpointError, match="signature does not match"):
        checkpoints.loads(checkpoints.dumps(_checkpoint(), b"another key"), key)
    for broken in ("not json", "[]", '{"rows": 7}'):
        with pytest.raises(checkpoints.CheckpointError):
            checkpoints.loads(broken, key)


def test_the_key_is_its_own_or_derived_from_the_secret(settings: Settings) -> None:
    def key(secret: str, own: str | None) -> bytes:
        chosen = Settings(environment="test", secret_key=secret, audit_checkpoint_key=own)
        return checkpoints.checkpoint_key(chosen)

    assert key(settings.secret_key, CHECKPOINT_KEY) == CHECKPOINT_KEY.encode()
    derived = key(settings.secret_key, None)
    assert derived not in (settings.secret_key.encode(), CHECKPOINT_KEY.encode())
    assert key("another-" + settings.secret_key, None) != derived
    assert key(settings.secret_key, "") == derived  # an empty key counts as unset


async def test_the_server_writes_checkpoints_and_carries_on_after_an_error(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _append(session, 2)
    await session.commit()  # a savepoint release: the writer's session sees the rows
    sessions = ScriptedSessions(sessionmaker, "fail", "real")
    directory = tmp_path / "checkpoints"
    writer = asyncio.create_task(
        checkpoints.write_checkpoints_periodically(sessions, settings, directory, 0.01)
    )
    try:
        with caplog.at_level(logging.INFO, logger=checkpoints.__name__):
            await asyncio.wait_for(sessions.played.wait(), 10)
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
    assert "could not write an audit checkpoint" in caplog.text
    (written,) = directory.glob("audit-checkpoint-*.json")
    checkpoint = checkpoints.read(written, checkpoints.checkpoint_key(settings))
    assert (await checkpoints.check(session, checkpoint)).reached


async def test_checkpoints_on_schedule_are_off_unless_a_folder_is_set(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> None:
    assert settings.audit_checkpoint_dir is None
    async with checkpoints.checkpoints_on_schedule(sessionmaker, settings):
        await asyncio.sleep(0.05)
    on = settings.model_copy(update={"audit_checkpoint_dir": tmp_path / "on"})
    async with checkpoints.checkpoints_on_schedule(sessionmaker, on):
        for _ in range(500):
            if list((tmp_path / "on").glob("*.json")):
                break
            await asyncio.sleep(0.01)
    assert len(list((tmp_path / "on").glob("*.json"))) == 1


# The command line, against a committed database of its own.


async def _admin(url: str, sql: str) -> None:
    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
def cli_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database the CLI commits to, dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
        migrate.upgrade(url)
        yield url
        return
    base = os.environ["VETERAN_CARE_TEST_DATABASE_URL"]
    name = f"vc_checkpoint_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def cli_env(cli_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("VETERAN_CARE_DATABASE_URL", cli_database)
    monkeypatch.setenv("VETERAN_CARE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VETERAN_CARE_ENVIRONMENT", "development")
    monkeypatch.setenv("VETERAN_CARE_AUDIT_CHECKPOINT_KEY", CHECKPOINT_KEY)
    get_settings.cache_clear()
    yield cli_database
    get_settings.cache_clear()


def _committed(url: str, backend: str, rows: int = 0, *tampering: str) -> list[int]:
    """Append ``rows`` chained rows, then run ``tampering`` with the triggers off, and
    commit; the ids of the rows appended."""

    async def run() -> list[int]:
        engine = create_async_engine(url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                appended = await _append(session, rows)
                if tampering:
                    await _tamper(session, backend, *tampering)
                await session.commit()
                return [event.id for event in appended]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_cli_verify_with_a_checkpoint_names_rows_deleted_from_the_end(
    cli_env: str, backend: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    ids = _committed(cli_env, backend, 6)
    saved = tmp_path / "kept-elsewhere" / "head.json"
    saved.parent.mkdir()
    written = runner.invoke(app, ["audit", "checkpoint", "--output", str(saved)])
    assert written.exit_code == 0, written.output
    assert f"6 rows, last id {ids[-1]}" in written.output
    _committed(cli_env, backend, 1)  # the trail goes on after the checkpoint
    intact = runner.invoke(app, ["audit", "verify", "--checkpoint", str(saved)])
    assert intact.exit_code == 0, intact.output
    assert "intact: 7 rows checked, the checkpoint of" in intact.output

    forged = tmp_path / "forged.json"
    document = json.loads(saved.read_text())
    forged.write_text(json.dumps({**document, "last_id": ids[2], "rows": 3}))
    refused = runner.invoke(app, ["audit", "verify", "--checkpoint", str(forged)])
    assert refused.exit_code == 2
    assert "signature does not match" in refused.output

    _committed(cli_env, backend, 0, f"DELETE FROM audit_events WHERE id >= {ids[3]}")
    plain = runner.invoke(app, ["audit", "verify"])
    assert plain.exit_code == 0, plain.output  # without a checkpoint, nothing to see
    caught = runner.invoke(app, ["audit", "verify", "--checkpoint", str(saved)])
    assert caught.exit_code == 1
    assert "does NOT reach the checkpoint" in caught.output
    assert f"ids {ids[3]} to {ids[5]} (3 rows missing" in caught.output


def test_cli_checkpoint_to_standard_output_catches_a_changed_head(
    cli_env: str, backend: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    ids = _committed(cli_env, backend, 3)
    printed = runner.invoke(app, ["audit", "checkpoint"])
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.stdout)
    assert (document["version"], document["rows"], document["last_id"]) == (1, 3, ids[-1])
    assert set(document) == {"version", "rows", "last_id", "last_hash", "written_at", "signature"}
    saved = tmp_path / "head.json"
    saved.write_text(printed.stdout)
    _committed(
        cli_env, backend, 0, f"UPDATE audit_events SET hash = prev_hash WHERE id = {ids[-1]}"
    )
    caught = runner.invoke(app, ["audit", "verify", "--checkpoint", str(saved)])
    assert caught.exit_code == 1
    assert f"BROKEN at row {ids[-1]}" in caught.output
    assert f"row {ids[-1]}, the checkpoint's head, was changed" in caught.output
