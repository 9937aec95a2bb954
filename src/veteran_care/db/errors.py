"""What a database error is about: the columns of a unique violation, the SQLSTATE."""

import re
from typing import Any

from sqlalchemy import exc as sa_exc

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")


def driver_error(error: sa_exc.DBAPIError) -> Any:
    """The driver's exception that names a constraint (asyncpg's, maybe wrapped), or None."""
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        if isinstance(getattr(candidate, "constraint_name", None), str):
            return candidate
    return None


def sqlstate(error: sa_exc.DBAPIError) -> str:
    """The SQLSTATE PostgreSQL reported, or "" (SQLite reports none)."""
    orig = error.orig
    return str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")


def unique_violation_fields(error: sa_exc.IntegrityError) -> list[str] | None:
    """The columns a unique violation is about, or ``None`` if it is not a unique violation."""
    match = _SQLITE_UNIQUE.search(str(error.orig))
    if match:
        return [col.split(".")[-1] for col in match.group(1).split(", ")]
    driver = driver_error(error)
    if driver is None or getattr(driver, "sqlstate", None) != "23505":
        return None
    table = getattr(driver, "table_name", None) or ""  # names are uq_<table>_<columns>
    return [driver.constraint_name.removeprefix("uq_").removeprefix(f"{table}_")]
