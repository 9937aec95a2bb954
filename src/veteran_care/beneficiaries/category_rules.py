"""Which of a person's categories is the main one, and what a category's disability rate may
be, as its row in ``beneficiary_categories`` says: none for most categories; within the
category's legal range for the others (a wounded soldier's body-injury rate is 21-100 %, a sick
soldier's 41-100 %; Ordinance 02/2020/UBTVQH14), required when the row says so (a person exposed
to toxic chemicals may be recognised without one)."""

from collections.abc import Sequence
from typing import Protocol

from veteran_care.kit.i18n import Message
from veteran_care.models import BeneficiaryCategory


class _Listed(Protocol):
    @property
    def main(self) -> bool | None: ...


def main_index(categories: Sequence[_Listed]) -> int:
    """Which of a person's listed categories is the main one: the one marked ``main``, else the
    first listed (schemas refuse two marked)."""
    return next((i for i, c in enumerate(categories) if c.main), 0)


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
    highest = category.max_disability_rate or 100
    if rate is None:
        if not category.disability_rate_required:
            return None
        return (
            "disability-rate-required",
            Message(
                "a {code} carries a disability rate ({lowest}-{highest} %)",
                code=category.code,
                lowest=lowest,
                highest=highest,
            ),
        )
    if not lowest <= rate <= highest:
        return (
            "disability-rate-out-of-range",
            Message(
                "a {code}'s disability rate is {lowest}-{highest} %, not {rate} %",
                code=category.code,
                lowest=lowest,
                highest=highest,
                rate=rate,
            ),
        )
    return None
