"""A unique value taken by another transaction while this one was writing.

Services check a unique value (a CCCD, the result of an examination) before they write, and
answer a 409 that says what already holds it. Two requests can pass that check together; on
PostgreSQL the second one's INSERT then waits for the first to commit and fails on the unique
index. The writes run in a savepoint, so that the transaction can go on, ask again what holds
the value and answer the same 409 as the check would have.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.db.errors import unique_violation_fields


@dataclass
class Taken:
    columns: list[str] | None = None  # of the unique violation, when a value was taken


@asynccontextmanager
async def unique_writes(session: AsyncSession) -> AsyncIterator[Taken]:
    """Make the block's changes (add, set) inside it: they are flushed in a savepoint when it
    ends. ``Taken.columns`` names what was taken meanwhile (the savepoint rolled back, the
    transaction usable); anything else raised goes on."""
    taken = Taken()
    try:
        async with session.begin_nested():
            yield taken
    except IntegrityError as exc:
        taken.columns = unique_violation_fields(exc)
        if taken.columns is None:
            raise
