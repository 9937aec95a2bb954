"""Databases the fault tests own: a fresh one of the suite's backend, a private PostgreSQL server
they may stop and start, and a digest of every table's content."""

import asyncio
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import TEST_URL_VARIABLE, _pg_execute
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def skip_or_fail(reason: str) -> None:
    """Outside CI a missing prerequisite skips with its reason; in CI it fails."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def fresh_database(backend: str, folder: Path, prefix: str) -> Iterator[str]:
    """A new, empty database of the backend: a SQLite file in ``folder``, or a PostgreSQL
    database next to the suite's (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / f'{prefix}.db'}"
        return
    base = os.environ[TEST_URL_VARIABLE]
    name = f"vc_{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_execute(base, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        skip_or_fail(f"PostgreSQL not reachable at {base}: {exc}")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


Contents = dict[str, list[dict[str, Any]]]


async def table_contents(url: str) -> Contents:
    """Every table but Alembic's, as rows of canonical values (compare with ``digests``)."""
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
            contents = {}
            for name in sorted(set(names) - {"alembic_version"}):
                result = await connection.execute(text(f'SELECT * FROM "{name}"'))
                contents[name] = [
                    {key: _canonical(value) for key, value in row._mapping.items()}
                    for row in result
                ]
            return contents
    finally:
        await engine.dispose()


def columns_of(contents: Contents, url: str) -> dict[str, set[str]]:
    return asyncio.run(_columns(url, set(contents)))


async def _columns(url: str, tables: set[str]) -> dict[str, set[str]]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda c: {t: {col["name"] for col in inspect(c).get_columns(t)} for t in tables}
            )
    finally:
        await engine.dispose()


def digests(contents: Contents, columns: dict[str, set[str]]) -> dict[str, tuple[int, str]]:
    """(row count, md5 of the rows) of each table in ``columns``, over those columns only; the
    order of rows and of columns does not matter."""
    result = {}
    for table, kept in columns.items():
        lines = sorted(
            json.dumps(
                {k: v for k, v in row.items() if k in kept}, sort_keys=True, ensure_ascii=False
            )
            for row in contents[table]
        )
        digest = hashlib.md5("\n".join(lines).encode(), usedforsecurity=False)
        result[table] = (len(lines), digest.hexdigest())
    return result


# A private PostgreSQL server -------------------------------------------------------------------


def _pg_bin(name: str) -> str | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)


@dataclass
class PrivateServer:
    """A PostgreSQL cluster in a temporary folder, on a port of its own: stopping it is an
    outage nobody else sees (the shared server on 5432 is never touched)."""

    folder: Path
    port: int
    pg_ctl: str
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, self.pg_ctl, "-D", str(self.folder / "data"), "-w", "-t", "60", *args],
            check=True,
            capture_output=True,
        )

    durable: bool = False  # fsync on (a crash test); off is faster and enough for outages

    def start(self) -> None:
        fsync = "on" if self.durable else "off"
        options = f"-k {self.folder} -h 127.0.0.1 -p {self.port} -c fsync={fsync}"
        self._ctl("-o", options, "-l", str(self.folder / "server.log"), "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def is_running(self) -> bool:
        done = subprocess.run(
            [*self.run_as, self.pg_ctl, "-D", str(self.folder / "data"), "status"],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0


# TCP logins other than the superuser's must give their password, as in the postgres image.
PASSWORD_HBA = """local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


@contextmanager
def private_postgresql(
    *, durable: bool = False, passwords: bool = False
) -> Iterator[PrivateServer]:
    """Outside pytest's temporary folders, which the ``postgres`` user cannot enter.
    ``passwords``: roles other than ``postgres`` log in over TCP with their password."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        skip_or_fail("initdb and pg_ctl (PostgreSQL server binaries) are not installed")
        raise AssertionError  # unreachable: skip and fail raise
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        runuser = shutil.which("runuser")
        if not runuser:
            skip_or_fail("running as root without runuser: cannot start a private PostgreSQL")
        run_as = [str(runuser), "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="vc-private-pg-"))
    if run_as:
        shutil.chown(folder, "postgres")
    options = ["-U", "postgres", "-A", "trust", "-N", "-E", "UTF8", "--locale=C.UTF-8"]
    subprocess.run(
        [*run_as, initdb, "-D", str(folder / "data"), *options, "--no-instructions"],
        check=True,
        capture_output=True,
    )
    if passwords:
        hba = folder / "data" / "pg_hba.conf"
        hba.write_text(PASSWORD_HBA, encoding="utf-8")
        if run_as:
            shutil.chown(hba, "postgres")
    server = PrivateServer(folder, free_port(), pg_ctl, run_as, durable)
    try:
        server.start()
        yield server
    finally:
        if server.is_running():
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


# A streaming standby of a private server -------------------------------------------------------


def standby_of(primary: PrivateServer) -> PrivateServer:
    """A hot standby of ``primary``: ``pg_basebackup -R`` (which writes ``standby.signal`` and
    the ``primary_conninfo``) into a folder of its own, started on another free port. The caller
    stops it and removes its folder."""
    basebackup = _pg_bin("pg_basebackup")
    if not basebackup:
        skip_or_fail("pg_basebackup (PostgreSQL server binaries) is not installed")
        raise AssertionError  # unreachable: skip and fail raise
    folder = Path(tempfile.mkdtemp(prefix="vc-standby-pg-"))
    if primary.run_as:
        shutil.chown(folder, "postgres")
    source = ["-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"]
    subprocess.run(
        [*primary.run_as, basebackup, *source, "-D", str(folder / "data"), "-R", "-c", "fast"],
        check=True,
        capture_output=True,
    )
    standby = PrivateServer(folder, free_port(), primary.pg_ctl, primary.run_as)
    standby.start()
    return standby


async def fetchval(dsn: str, sql: str) -> Any:
    """One value of one statement, on a connection of its own."""
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


async def wait_caught_up(
    primary: PrivateServer, standby: PrivateServer, seconds: float = 60
) -> None:
    """Until the standby's WAL receiver streams and it has replayed what the primary wrote."""
    deadline = time.monotonic() + seconds
    primary_dsn, standby_dsn = (s.url.replace("+asyncpg", "") for s in (primary, standby))
    while True:
        try:
            target = await fetchval(primary_dsn, "SELECT pg_current_wal_lsn()::text")
            caught_up = await fetchval(
                standby_dsn,
                "SELECT EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming') "
                f"AND pg_last_wal_replay_lsn() >= '{target}'::pg_lsn",
            )
            if caught_up:
                return
        except (OSError, asyncpg.PostgresError):
            pass  # the standby is still starting
        if time.monotonic() > deadline:
            raise AssertionError(f"the standby did not catch up within {seconds} s")
        await asyncio.sleep(0.1)
