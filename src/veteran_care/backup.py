"""Online backups of the configured database, safe while the API writes.

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies a consistent
  snapshot page by page under a read transaction; in WAL mode writers go on meanwhile. The copy
  is checked with ``PRAGMA integrity_check``. A plain file copy of a live WAL database is not a
  backup: the last commits may sit in the ``-wal`` file.
- PostgreSQL: ``pg_dump --format=custom``, one consistent snapshot taken when it starts
  (restore with ``pg_restore``, see docs/operations.md). The password goes through
  ``PGPASSWORD``, never the command line.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def backup(database_url: str, destination: Path) -> str:
    """Write a backup of the database to ``destination``; returns a one-line summary."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite(Path(url.database or ""), destination)
    if url.get_backend_name() == "postgresql":
        return _postgresql(database_url, destination)
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def _sqlite(source: Path, destination: Path) -> str:
    if not source.is_file():
        raise BackupError(f"there is no SQLite database at {source}")
    if destination.exists():
        raise BackupError(f"{destination} exists; choose a new file")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as reader:
        with sqlite3.connect(partial) as writer:
            reader.backup(writer)
            check = writer.execute("PRAGMA integrity_check").fetchone()
            pages = writer.execute("PRAGMA page_count").fetchone()[0]
        writer.close()
    reader.close()
    if check != ("ok",):
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {check}")
    partial.rename(destination)  # only a whole, checked copy takes the name
    return f"SQLite backup of {source} written to {destination} ({pages} pages, integrity ok)."


def _postgresql(database_url: str, destination: Path) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed (PostgreSQL client tools)")
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string()
    done = subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", f"--file={destination}", f"--dbname={libpq}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        destination.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
    size = destination.stat().st_size
    return f"PostgreSQL backup (pg_dump custom format) written to {destination} ({size} bytes)."
