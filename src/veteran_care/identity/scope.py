"""An account's scope (decision 0054): province-wide, nation-wide, or some provinces and/or
facilities. The provinces named must be served by the deployment; the scope after a change
must be one of these."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.errors import DomainError, Unprocessable
from veteran_care.facilities import service as facilities
from veteran_care.kit.i18n import Message
from veteran_care.models import Account, AccountFacility
from veteran_care.reference.service import served_provinces

SCOPE_FIELDS = ["province_wide", "facility_ids", "province_codes", "nation_wide"]


class ProvinceNotServed(Unprocessable):
    code = "province-not-served"


async def facility_links(
    session: AsyncSession, facility_ids: list[uuid.UUID]
) -> list[AccountFacility]:
    for index, facility_id in enumerate(facility_ids):
        await facilities.ensure_exists(session, facility_id, f"facility_ids.{index}")
    return [AccountFacility(facility_id=f) for f in facility_ids]


def province_codes(codes: list[str]) -> list[str]:
    """The provinces, each one this deployment serves (else 422 `province-not-served`)."""
    served = served_provinces()
    for index, code in enumerate(codes):
        if code not in served:
            raise ProvinceNotServed(
                Message(
                    "{field}: this deployment does not serve province {code} "
                    "(VETERAN_CARE_PROVINCES).",
                    field=f"province_codes.{index}",
                    code=code,
                ),
                field=f"province_codes.{index}",
            )
    return sorted(codes)


def check_scope(account: Account) -> None:
    """The scope an account is left with: nation-wide alone, or something to work on."""
    named = bool(account.facilities or account.province_codes)
    if account.nation_wide and (named or account.province_wide):
        raise DomainError(
            "A nation-wide account names no facility or province and is not province-wide.",
            status=422,
            code="scope-required",
        )
    if not (account.province_wide or account.nation_wide or named):
        raise DomainError(
            "An account needs facility_ids, province_codes, province_wide or nation_wide.",
            status=422,
            code="scope-required",
        )
