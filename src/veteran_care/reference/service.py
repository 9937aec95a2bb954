"""Checks that a code names a real reference row, with a 422 that says which field is wrong."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.errors import Unprocessable
from veteran_care.kit.i18n import Message
from veteran_care.models import BeneficiaryCategory
from veteran_care.reference import repository


class UnknownCode(Unprocessable):
    code = "unknown-code"


async def ensure_commune(session: AsyncSession, code: str | None, field: str) -> None:
    if code is not None and not await repository.commune_exists(session, code):
        raise UnknownCode(
            Message("{field}: there is no commune with code {code}.", field=field, code=code),
            field=field,
        )


async def ensure_ethnic_group(session: AsyncSession, code: str | None, field: str) -> None:
    if code is not None and not await repository.ethnic_group_exists(session, code):
        raise UnknownCode(
            Message("{field}: there is no ethnic group with code {code}.", field=field, code=code),
            field=field,
        )


async def categories(
    session: AsyncSession, codes: Sequence[str], field: str
) -> dict[str, BeneficiaryCategory]:
    found = await repository.categories_by_code(session, codes)
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise UnknownCode(
            Message(
                "{field}: unknown beneficiary category codes {codes}.",
                field=field,
                codes=", ".join(unknown),
            ),
            field=field,
        )
    return found
