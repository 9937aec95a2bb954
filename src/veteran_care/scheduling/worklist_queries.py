"""Every worklist query: the due list with each person's last contact attempt, the attempts
of a person (decision 0053)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from veteran_care.kit.pagination import page_of, paginate
from veteran_care.kit.text import like_escape
from veteran_care.models import AttemptOutcome, Beneficiary, ContactAttempt
from veteran_care.scheduling.due import DUE_KEY, DUE_SORT, DueFilters, due_statement

NOT_CONTACTED = "not_contacted"
EXPORT_MOST_ROWS = 5000  # a village's list; a commune's is a few hundred people


@dataclass(frozen=True)
class WorklistFilters:
    due: DueFilters
    village: str | None = None
    outcomes: Sequence[str] = field(default_factory=tuple)  # AttemptOutcome values, not_contacted


def _last_attempt_id() -> Any:
    """The id of the person's latest attempt (the one the worklist shows)."""
    earlier = aliased(ContactAttempt)
    return (
        select(earlier.id)
        .where(earlier.beneficiary_id == Beneficiary.id)
        .order_by(earlier.attempted_at.desc(), earlier.id.desc())
        .limit(1)
        .correlate(Beneficiary)
        .scalar_subquery()
    )


async def worklist_statement(
    session: AsyncSession, on: date, filters: WorklistFilters
) -> Select[Any]:
    """The due list on ``on`` with each person's last attempt; a person asked to be called
    later is left out until that day."""
    last = ContactAttempt
    stmt = (
        (await due_statement(session, on, filters.due))
        .add_columns(
            Beneficiary.birth_year,
            Beneficiary.phone,
            Beneficiary.address_line,
            last.id.label("attempt_id"),
            last.attempted_at,
            last.attempted_by,
            last.channel,
            last.outcome,
            last.call_back_on,
            last.note,
        )
        .outerjoin(last, last.id == _last_attempt_id())
        .where(
            or_(
                last.id.is_(None),
                last.outcome != AttemptOutcome.call_later,
                last.call_back_on <= on,
            )
        )
    )
    if filters.village:
        stmt = stmt.where(
            Beneficiary.address_line.ilike(f"%{like_escape(filters.village)}%", escape="\\")
        )
    if filters.outcomes:
        chosen = [o for o in filters.outcomes if o != NOT_CONTACTED]
        wanted = [last.outcome.in_(chosen)] if chosen else []
        if NOT_CONTACTED in filters.outcomes:
            wanted.append(last.id.is_(None))
        stmt = stmt.where(or_(*wanted))
    return stmt


async def worklist_page(
    session: AsyncSession,
    on: date,
    filters: WorklistFilters,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    stmt = paginate(
        await worklist_statement(session, on, filters),
        id_column=Beneficiary.id,
        sort=DUE_SORT,
        key=DUE_KEY,
        cursor=cursor,
        limit=limit,
    )
    rows = (await session.execute(stmt)).all()
    return page_of(rows, sort=DUE_SORT, key=DUE_KEY, limit=limit)


async def worklist_rows(session: AsyncSession, on: date, filters: WorklistFilters) -> list[Any]:
    """The whole list in name order (a village's, for a file), at most ``EXPORT_MOST_ROWS``."""
    stmt = (await worklist_statement(session, on, filters)).order_by(
        Beneficiary.name_search, Beneficiary.id
    )
    return list((await session.execute(stmt.limit(EXPORT_MOST_ROWS))).all())


async def attempts_of(session: AsyncSession, beneficiary_id: uuid.UUID) -> list[ContactAttempt]:
    stmt = (
        select(ContactAttempt)
        .where(ContactAttempt.beneficiary_id == beneficiary_id)
        .order_by(ContactAttempt.attempted_at.desc(), ContactAttempt.id.desc())
    )
    return list((await session.scalars(stmt)).all())
