"""Migrations run both ways on a fresh database of the backend under test."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import TEST_URL_VARIABLE, _pg_execute
from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db import create_engine


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    base = os.environ[TEST_URL_VARIABLE]
    name = f"vc_mig_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_execute(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _tables(url: str) -> set[str]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                rows = await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            else:
                rows = await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    migrate.upgrade(fresh_url)
    assert {"beneficiaries", "insurance_cards", "communes"} <= asyncio.run(_tables(fresh_url))
    migrate.downgrade(fresh_url, "base")
    assert asyncio.run(_tables(fresh_url)) <= {"alembic_version"}
    migrate.upgrade(fresh_url)
    assert "beneficiaries" in asyncio.run(_tables(fresh_url))


def test_there_is_a_single_head() -> None:
    assert len(migrate.head_revisions()) == 1
