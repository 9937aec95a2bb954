"""Queries over the reference tables."""

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import BeneficiaryCategory, Commune, EthnicGroup, OldCommune


async def communes(
    session: AsyncSession, province_codes: Collection[str] | None
) -> Sequence[Commune]:
    """The communes of these provinces (None: of every province)."""
    stmt = select(Commune).order_by(Commune.code)
    if province_codes is not None:
        stmt = stmt.where(Commune.province_code.in_(province_codes))
    return (await session.scalars(stmt)).all()


async def commune(session: AsyncSession, code: str) -> Commune | None:
    return await session.get(Commune, code)


async def province_name(session: AsyncSession, code: str) -> str | None:
    """The name of a province, read off one of its communes."""
    stmt = select(Commune.province_name).where(Commune.province_code == code).limit(1)
    return await session.scalar(stmt)


async def old_commune(session: AsyncSession, old_code: str) -> Sequence[tuple[OldCommune, Commune]]:
    """The 2025 communes an old code became, the default first."""
    stmt = (
        select(OldCommune, Commune)
        .join(Commune, Commune.code == OldCommune.new_code)
        .where(OldCommune.old_code == old_code)
        .order_by(OldCommune.is_default.desc(), OldCommune.new_code)
    )
    return [(old, new) for old, new in (await session.execute(stmt)).all()]


async def old_communes(session: AsyncSession) -> Sequence[tuple[str, str]]:
    """Every (old code, 2025 code) on record, each old code's default part first."""
    stmt = select(OldCommune.old_code, OldCommune.new_code).order_by(
        OldCommune.old_code, OldCommune.is_default.desc(), OldCommune.new_code
    )
    return [(old, new) for old, new in (await session.execute(stmt)).all()]


async def provinces_known(session: AsyncSession, codes: Collection[str]) -> set[str]:
    """Those of ``codes`` that have communes."""
    stmt = select(Commune.province_code).where(Commune.province_code.in_(codes)).distinct()
    return set((await session.scalars(stmt)).all())


async def ethnic_groups(session: AsyncSession) -> Sequence[EthnicGroup]:
    return (await session.scalars(select(EthnicGroup).order_by(EthnicGroup.code))).all()


async def categories(session: AsyncSession) -> Sequence[BeneficiaryCategory]:
    stmt = select(BeneficiaryCategory).order_by(BeneficiaryCategory.code)
    return (await session.scalars(stmt)).all()


async def ethnic_group_exists(session: AsyncSession, code: str) -> bool:
    return await session.get(EthnicGroup, code) is not None


async def categories_by_code(
    session: AsyncSession, codes: Sequence[str]
) -> dict[str, BeneficiaryCategory]:
    stmt = select(BeneficiaryCategory).where(BeneficiaryCategory.code.in_(codes))
    return {c.code: c for c in (await session.scalars(stmt)).all()}
