"""The SQLite driver: one trip to aiosqlite's thread per statement, with DBAPI behaviour intact."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from veteran_care.config import Settings
from veteran_care.db import create_engine


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
