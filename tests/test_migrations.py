"""Migrations on a fresh database of the backend under test (the suite runs once on SQLite and
once on PostgreSQL in CI).

- pytest-alembic's built-in tests: one head, upgrade from nothing to head, the models match the
  migrated DDL (what ``alembic check`` checks), and every revision downgrades and upgrades again.
- A populated round trip: a database filled through the API (registry, bookings, stock,
  dispenses, results, audit), then, for every revision from head down, downgrade one step and
  upgrade again: every table that exists below the step keeps the same row count and the same
  checksum of its whole content. The walk reads the revision history; it names no revision.
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_alembic
from alembic.script import ScriptDirectory
from pytest_alembic import tests as alembic_tests
from pytest_alembic.config import Config
from pytest_alembic.runner import MigrationContext

from tests.faults.database import columns_of, digests, fresh_database, table_contents
from tests.faults.workload import populate
from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path, "mig") as url:
        yield url


@pytest.fixture
def alembic_runner(fresh_url: str) -> Iterator[MigrationContext]:
    # The application's own engine (SQLite pragmas, asyncpg settings); env.py runs it in an
    # event loop of its own and disposes of it after each run.
    engine = create_engine(Settings(database_url=fresh_url))
    config = Config.from_raw_config(migrate.alembic_config())
    with pytest_alembic.runner(config=config, engine=engine) as runner:
        yield runner


def test_single_head_revision(alembic_runner: MigrationContext) -> None:
    alembic_tests.test_single_head_revision(alembic_runner)


def test_upgrade(alembic_runner: MigrationContext) -> None:
    alembic_tests.test_upgrade(alembic_runner)


def test_model_definitions_match_ddl(alembic_runner: MigrationContext) -> None:
    alembic_tests.test_model_definitions_match_ddl(alembic_runner)


def test_up_down_consistency(alembic_runner: MigrationContext) -> None:
    alembic_tests.test_up_down_consistency(alembic_runner)


def test_there_is_a_single_head() -> None:
    assert len(migrate.head_revisions()) == 1


def _revisions_from_head() -> list[tuple[str, str]]:
    """(revision, the revision below it) for every step, head first; 'base' below the first."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    steps = []
    for revision in script.walk_revisions("base", "heads"):
        below = revision.down_revision
        assert not isinstance(below, tuple), "merge revisions are not expected"
        steps.append((revision.revision, below or "base"))
    return steps


def test_populated_round_trip_of_every_revision(fresh_url: str) -> None:
    started = time.perf_counter()
    migrate.upgrade(fresh_url)
    checked = asyncio.run(populate(fresh_url))
    before = asyncio.run(table_contents(fresh_url))
    rows = sum(len(table) for table in before.values())
    empty = sorted(name for name, table in before.items() if not table)
    steps = _revisions_from_head()
    for revision, below in steps:
        migrate.downgrade(fresh_url, below)
        down = asyncio.run(table_contents(fresh_url))
        # What lives through the step: the tables and columns that exist below it.
        kept = columns_of(down, fresh_url)
        assert digests(down, kept) == digests(before, kept), (
            f"downgrade {revision} -> {below} changed the content of tables it keeps"
        )
        migrate.upgrade(fresh_url, revision)
        up = asyncio.run(table_contents(fresh_url))
        assert digests(up, kept) == digests(before, kept), (
            f"upgrade {below} -> {revision} changed the content of tables it kept"
        )
        migrate.downgrade(fresh_url, below)  # the walk goes on below, with what was kept
        before = down
    migrate.upgrade(fresh_url)
    print(
        f"\n[migrations] {len(steps)} revisions walked down and up again on {rows} rows "
        f"({checked['checkups']} checkups, {checked['dispenses']} dispenses); "
        f"empty tables at head: {', '.join(empty) or 'none'}; "
        f"{time.perf_counter() - started:.1f} s"
    )
