"""The lookups the FHIR view needs that no domain has yet (each bounded by facility scope);
the searches' statements are in queries.py.

Everything else is read through the domains' own services and repositories."""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from veteran_care.kit.pagination import datetime_key, fetch_page
from veteran_care.models import (
    BeneficiaryCategoryMembership,
    CheckupConclusion,
    Diagnosis,
    Dispense,
    ExaminationResult,
    Medicine,
    PartOfDay,
    Session,
)

T = TypeVar("T")

RESULT_SORT = "-created_at"
RESULT_KEY = datetime_key(ExaminationResult.created_at, descending=True)


async def memberships(
    session: AsyncSession, beneficiary_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[BeneficiaryCategoryMembership]]:
    stmt = (
        select(BeneficiaryCategoryMembership)
        .where(BeneficiaryCategoryMembership.beneficiary_id.in_(set(beneficiary_ids)))
        .order_by(BeneficiaryCategoryMembership.category_code)
    )
    found: dict[uuid.UUID, list[BeneficiaryCategoryMembership]] = defaultdict(list)
    for row in (await session.scalars(stmt)).all():
        found[row.beneficiary_id].append(row)
    return found


async def parts_of_day(
    session: AsyncSession, session_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, PartOfDay]:
    stmt = select(Session.id, Session.part_of_day).where(Session.id.in_(set(session_ids)))
    return {row.id: row.part_of_day for row in (await session.execute(stmt)).all()}


async def medicines(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Medicine]:
    stmt = select(Medicine).where(Medicine.id.in_(set(ids)))
    return {m.id: m for m in (await session.scalars(stmt)).all()}


def _scoped(stmt: Any, column: Any, scope: frozenset[uuid.UUID] | None) -> Any:
    return stmt if scope is None else stmt.where(column.in_(scope))


async def results(
    session: AsyncSession,
    *,
    scope: frozenset[uuid.UUID] | None,
    beneficiary_id: uuid.UUID | None,
    checkup_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ExaminationResult], str | None]:
    stmt = _scoped(
        select(ExaminationResult).options(selectinload(ExaminationResult.diagnoses)),
        ExaminationResult.facility_id,
        scope,
    )
    if beneficiary_id is not None:
        stmt = stmt.where(ExaminationResult.beneficiary_id == beneficiary_id)
    if checkup_id is not None:
        stmt = stmt.where(ExaminationResult.checkup_id == checkup_id)
    return await fetch_page(
        session,
        stmt,
        id_column=ExaminationResult.id,
        sort=RESULT_SORT,
        key=RESULT_KEY,
        cursor=cursor,
        limit=limit,
    )


async def result(session: AsyncSession, result_id: uuid.UUID) -> ExaminationResult | None:
    stmt = (
        select(ExaminationResult)
        .where(ExaminationResult.id == result_id)
        .options(selectinload(ExaminationResult.diagnoses))
    )
    return (await session.scalars(stmt)).one_or_none()


async def results_by_id(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ExaminationResult]:
    stmt = select(ExaminationResult).where(ExaminationResult.id.in_(set(ids)))
    return {r.id: r for r in (await session.scalars(stmt)).all()}


async def diagnosis(session: AsyncSession, diagnosis_id: uuid.UUID) -> Diagnosis | None:
    return await session.get(Diagnosis, diagnosis_id)


async def diagnoses_of_checkups(
    session: AsyncSession, checkup_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Diagnosis]]:
    stmt = (
        select(ExaminationResult.checkup_id, Diagnosis)
        .join(ExaminationResult, Diagnosis.result_id == ExaminationResult.id)
        .where(ExaminationResult.checkup_id.in_(set(checkup_ids)))
        .order_by(ExaminationResult.specialty_code, Diagnosis.position)
    )
    found: dict[uuid.UUID, list[Diagnosis]] = defaultdict(list)
    for checkup_id, row in (await session.execute(stmt)).all():
        found[checkup_id].append(row)
    return found


async def conclusions(
    session: AsyncSession, checkup_ids: Iterable[uuid.UUID]
) -> Sequence[CheckupConclusion]:
    stmt = select(CheckupConclusion).where(CheckupConclusion.checkup_id.in_(set(checkup_ids)))
    return (await session.scalars(stmt.order_by(CheckupConclusion.created_at))).all()


async def all_dispenses(
    session: AsyncSession, beneficiary_id: uuid.UUID, scope: frozenset[uuid.UUID] | None
) -> Sequence[Dispense]:
    stmt = _scoped(
        select(Dispense).where(Dispense.beneficiary_id == beneficiary_id),
        Dispense.facility_id,
        scope,
    )
    return (await session.scalars(stmt.order_by(Dispense.dispensed_at, Dispense.id))).all()


async def drain(fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]]) -> list[T]:
    """Every page of a keyset-paginated query."""
    rows, cursor = await fetch(None)
    while cursor is not None:
        more, cursor = await fetch(cursor)
        rows += more
    return rows
