"""The SQLite driver: one trip to aiosqlite's thread per statement, with DBAPI behaviour intact."""

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from veteran_care.config import Settings
from veteran_care.db import WRITE_OPTION, create_engine


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}",
            environment="test",
            secret_key="s" * 40,
            data_dir=tmp_path,
        )
    )
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, n INTEGER)"
        )
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to aiosqlite's thread."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def test_a_statement_is_one_trip_and_idle_commits_none(
    sqlite_engine: AsyncEngine, trips: list[str]
) -> None:
    async with sqlite_engine.connect() as connection:
        await connection.exec_driver_sql("SELECT 1")  # the pool's first connection
        trips.clear()
        result = await connection.execute(text("SELECT id, code FROM t"))
        assert list(result) == []
        assert result.keys() == ["id", "code"]  # the description, read in the same trip
        assert len(trips) == 1
        await connection.rollback()  # SQLite's transaction, begun by SQLAlchemy
        trips.clear()
    assert trips == []  # the pool's reset finds no transaction open: nothing to send


async def test_rows_counts_and_ids_are_what_sqlite_reports(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as connection:
        inserted = await connection.execute(
            text("INSERT INTO t (code, n) VALUES (:code, :n)"), {"code": "a", "n": 1}
        )
        assert inserted.lastrowid == 1
        many = await connection.execute(
            text("INSERT INTO t (code, n) VALUES (:code, :n)"),
            [{"code": "b", "n": 1}, {"code": "c", "n": 2}],
        )
        assert many.rowcount == 2
        updated = await connection.execute(text("UPDATE t SET n = n + 10 WHERE n = 1"))
        assert updated.rowcount == 2
        returned = await connection.execute(
            text("UPDATE t SET n = 0 WHERE code = 'c' RETURNING id, n")
        )
        assert returned.all() == [(3, 0)]
    async with sqlite_engine.connect() as connection:
        rows = await connection.execute(text("SELECT code, n FROM t ORDER BY id"))
        assert rows.all() == [("a", 11), ("b", 11), ("c", 0)]
        streamed = await connection.stream(text("SELECT code FROM t ORDER BY id"))
        assert [row.code async for row in streamed] == ["a", "b", "c"]


async def test_a_failed_statement_raises_and_its_transaction_rolls_back(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.connect() as connection:
        await connection.execute(text("INSERT INTO t (code) VALUES ('same')"))
        await connection.execute(text("INSERT INTO t (code) VALUES ('other')"))
        with pytest.raises(IntegrityError):
            await connection.execute(text("INSERT INTO t (code) VALUES ('same')"))
        await connection.rollback()
    async with sqlite_engine.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM t"))
        assert count == 0


async def test_a_transactions_begin_goes_in_the_trip_of_its_first_statement(
    sqlite_engine: AsyncEngine, trips: list[str]
) -> None:
    async with sqlite_engine.connect() as connection:
        await connection.exec_driver_sql("SELECT 1")  # the pool's first connection
        await connection.rollback()
        trips.clear()
        async with connection.begin():
            await connection.execute(text("INSERT INTO t (code) VALUES ('a')"))
            assert trips == ["_run"]  # BEGIN and the insert
        assert trips == ["_run", "commit"]
        trips.clear()
        async with connection.begin():  # a transaction that runs nothing sends nothing
            pass
        assert trips == []
    async with sqlite_engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM t")) == 1


async def test_a_write_transaction_holds_the_write_lock_from_its_first_statement(
    sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "driver.db", timeout=0, isolation_level=None)
    try:
        write = {WRITE_OPTION: True}
        async with sqlite_engine.connect() as connection:
            await connection.execution_options(**write)
            await connection.begin()
            await connection.execute(text("SELECT count(*) FROM t"))  # BEGIN IMMEDIATE with it
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            await connection.rollback()
        # Now the other connection holds it: a write transaction fails at its first
        # statement. Its BEGIN is still owed: the next statement of the same transaction
        # begins it (rolled back with it), and does not run in autocommit.
        other.execute("BEGIN IMMEDIATE")
        async with sqlite_engine.connect() as connection:
            await connection.execute(text("PRAGMA busy_timeout = 0"))
            await connection.commit()
            await connection.execution_options(**write)
            await connection.begin()
            with pytest.raises(OperationalError, match="locked"):
                await connection.execute(text("INSERT INTO t (code) VALUES ('x')"))
            other.execute("ROLLBACK")
            await connection.execute(text("INSERT INTO t (code) VALUES ('undone')"))
            await connection.rollback()
            async with connection.begin():
                await connection.execute(text("INSERT INTO t (code) VALUES ('y')"))
        async with sqlite_engine.connect() as connection:
            codes = await connection.scalars(text("SELECT code FROM t"))
            assert codes.all() == ["y"]
    finally:
        other.close()


async def test_a_stream_opened_first_in_a_transaction_reads_inside_it(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.connect() as connection, connection.begin():
        streamed = await connection.stream(text("SELECT code FROM t"))
        assert [row async for row in streamed] == []
        raw = await connection.get_raw_connection()
        assert raw.dbapi_connection._connection.in_transaction  # BEGIN was sent first
