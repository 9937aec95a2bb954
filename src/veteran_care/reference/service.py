"""Checks that a code names a real reference row, with a 422 that says which field is wrong;
the provinces a deployment serves (``VETERAN_CARE_PROVINCES``) and its agency."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.config import get_settings
from veteran_care.errors import NotFound, Unprocessable
from veteran_care.kit.i18n import Message
from veteran_care.models import BeneficiaryCategory, Commune, OldCommune
from veteran_care.reference import repository


class UnknownCode(Unprocessable):
    code = "unknown-code"


class OutsideProvince(Unprocessable):
    code = "commune-outside-province"


def served_provinces() -> list[str]:
    """The 2-digit codes of the provinces this deployment serves."""
    return get_settings().provinces


async def ensure_commune(session: AsyncSession, code: str | None, field: str) -> None:
    """A commune of a province this deployment serves."""
    if code is None:
        return
    commune = await repository.commune(session, code)
    if commune is None:
        raise UnknownCode(
            Message("{field}: there is no commune with code {code}.", field=field, code=code),
            field=field,
        )
    if commune.province_code not in served_provinces():
        raise OutsideProvince(
            Message(
                "{field}: {commune} ({code}) is in {province}, a province this deployment does "
                "not serve (VETERAN_CARE_PROVINCES).",
                field=field,
                commune=commune.name,
                code=code,
                province=commune.province_name,
            ),
            field=field,
        )


async def old_commune(session: AsyncSession, old_code: str) -> Sequence[tuple[OldCommune, Commune]]:
    """What a pre-2025 commune code became (decision 0055); 404 when none is on record."""
    found = await repository.old_commune(session, old_code)
    if not found:
        raise NotFound(
            Message("There is no commune code {code} of before 2025 on record.", code=old_code)
        )
    return found


async def check_served_provinces(session: AsyncSession, provinces: Sequence[str]) -> None:
    """At start: every configured province is a province of 2025 (it has communes)."""
    unknown = sorted(set(provinces) - await repository.provinces_known(session, provinces))
    if unknown:
        raise RuntimeError(
            f"VETERAN_CARE_PROVINCES names {', '.join(unknown)}: no province of 2025 has "
            "that code (see GET /api/v1/communes?province_code=..)."
        )


async def agency_name(session: AsyncSession) -> str:
    """``VETERAN_CARE_AGENCY_NAME``, or the Department of Home Affairs (which took over the
    social-affairs department's work in 2025) of the first province served."""
    configured = get_settings().agency_name
    if configured:
        return configured
    first = served_provinces()[0]
    name = await repository.province_name(session, first)
    return f"Sở Nội vụ {province_title(name or first)}"


def province_title(name: str) -> str:
    """A province's name as it follows a title: tỉnh Điện Biên, thành phố Hà Nội (a
    centrally-run city's name carries its kind: Thành phố Hà Nội)."""
    city = name.startswith("Thành phố")
    return "thành phố" + name.removeprefix("Thành phố") if city else f"tỉnh {name}"


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
