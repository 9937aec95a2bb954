"""Vietnamese identifiers: CCCD/CMND national IDs, BHXH numbers and BHYT card numbers."""

import re
from dataclasses import dataclass

from veteran_care.kit.i18n import InvalidValue, Message
from veteran_care.models import CardNumberFormat, NationalIdType

CCCD_PATTERN = r"^[0-9]{12}$"
CMND_PATTERN = r"^[0-9]{9}$"
NATIONAL_ID_PATTERN = r"^([0-9]{9}|[0-9]{12})$"
BHXH_PATTERN = r"^[0-9]{10}$"
CARD_NUMBER_PATTERN = r"^([A-Z]{2}[1-5][0-9]{2}[0-9]{10}|[0-9]{10})$"
FACILITY_CODE_PATTERN = r"^[0-9A-Z]{5}$"

_LEGACY_CARD = re.compile(
    r"^(?P<object>[A-Z]{2})(?P<level>[1-5])(?P<province>[0-9]{2})(?P<bhxh>[0-9]{10})$"
)
_BHXH_CARD = re.compile(r"^[0-9]{10}$")


def national_id_type(value: str) -> NationalIdType:
    return NationalIdType.cccd if len(value) == 12 else NationalIdType.cmnd


@dataclass(frozen=True)
class ParsedCard:
    number: str
    number_format: CardNumberFormat
    bhxh_number: str
    object_code: str | None = None
    benefit_level: int | None = None
    province_code: str | None = None


def parse_card_number(number: str) -> ParsedCard:
    """Split a card number in either format; raise ValueError when it is neither."""
    legacy = _LEGACY_CARD.match(number)
    if legacy:
        return ParsedCard(
            number=number,
            number_format=CardNumberFormat.legacy_15,
            bhxh_number=legacy["bhxh"],
            object_code=legacy["object"],
            benefit_level=int(legacy["level"]),
            province_code=legacy["province"],
        )
    if _BHXH_CARD.match(number):
        return ParsedCard(number=number, number_format=CardNumberFormat.bhxh_10, bhxh_number=number)
    raise InvalidValue(
        "a card number is 15 characters (2 letters, benefit level 1-5, 2-digit province, "
        "10-digit BHXH number) or the 10-digit BHXH number"
    )


def card_holder_problem(card: ParsedCard, bhxh_number: str | None) -> tuple[str, str] | None:
    """Why a card cannot be given to the person of this BHXH number, as (code, message): the
    person has none yet, or the card carries another one. None when it can."""
    if bhxh_number is None:
        return (
            "bhxh-number-missing",
            Message("the beneficiary has no BHXH number yet; record it before adding a card"),
        )
    if card.bhxh_number != bhxh_number:
        return (
            "card-bhxh-mismatch",
            Message("the card's BHXH number (its last 10 digits) is not this person's BHXH number"),
        )
    return None
