"""What a category's disability rate may be: none for most categories; a body-injury rate from
21 % for a wounded soldier and from 41 % for a sick soldier (Ordinance 02/2020/UBTVQH14, Arts.
23 and 26), up to 100 %. The lowest is the category's ``min_disability_rate``."""

from veteran_care.kit.i18n import Message
from veteran_care.models import BeneficiaryCategory


def disability_rate_problem(
    category: BeneficiaryCategory, rate: int | None
) -> tuple[str, str] | None:
    """``(code, message)`` when ``rate`` does not fit the category; None when it does."""
    if not category.carries_disability_rate:
        if rate is None:
            return None
        return (
            "disability-rate-not-applicable",
            Message("the category {code} has no disability rate", code=category.code),
        )
    lowest = category.min_disability_rate or 1
    if rate is None:
        return (
            "disability-rate-required",
            Message(
                "a {code} carries a disability rate ({lowest}-100 %)",
                code=category.code,
                lowest=lowest,
            ),
        )
    if rate < lowest:
        return (
            "disability-rate-out-of-range",
            Message(
                "a {code}'s disability rate is {lowest}-100 %, not {rate} %",
                code=category.code,
                lowest=lowest,
                rate=rate,
            ),
        )
    return None
