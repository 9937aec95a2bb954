"""Checks that a code names a real reference row, with a 422 that says which field is wrong."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.errors import Unprocessable
from veteran_care.models import BeneficiaryCategory
from veteran_care.reference import repository


class UnknownCode(Unprocessable):
    code = "unknown-code"


async def ensure_commune(session: AsyncSession, code: str | None, field: str) -> None:
    if code is not None and not await repository.commune_exists(session, code):
        raise UnknownCode(f"{field}: there is no commune with code {code}.", field=field)


async def ensure_ethnic_group(session: AsyncSession, code: str | None, field: str) -> None:
    if code is not None and not await repository.ethnic_group_exists(session, code):
        raise UnknownCode(f"{field}: there is no ethnic group with code {code}.", field=field)


async def categories(
    session: AsyncSession, codes: Sequence[str], field: str
) -> dict[str, BeneficiaryCategory]:
    found = await repository.categories_by_code(session, codes)
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise UnknownCode(
            f"{field}: unknown beneficiary categor{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(unknown)}.",
            field=field,
        )
    return found
