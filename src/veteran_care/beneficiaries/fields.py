"""The registry's field types: identifiers, codes, names, phone numbers and dates of birth, with
what each accepts (its JSON schema) and how it is cleaned."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from veteran_care.beneficiaries.identifiers import BHXH_PATTERN, NATIONAL_ID_PATTERN
from veteran_care.kit import clock
from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import Day, Int
from veteran_care.kit.text import Line200

# A category's code is the reference table's; the registry's fields name it too.
from veteran_care.reference.schemas import CATEGORY_CODE_PATTERN as CATEGORY_CODE_PATTERN
from veteran_care.reference.schemas import CategoryCode as CategoryCode

MIN_BIRTH_YEAR = 1900

FullName = Annotated[Line200, Field(examples=["Nguyễn Văn An"])]
NationalId = Annotated[
    str,
    Field(pattern=NATIONAL_ID_PATTERN, max_length=12),
    Field(
        description="CCCD (12 digits) or legacy CMND (9 digits, marked `cmnd`).",
        examples=["011058001234"],
    ),
]
BhxhNumber = Annotated[
    str,
    Field(pattern=BHXH_PATTERN, max_length=10),
    Field(description="10-digit social-insurance number (mã số BHXH).", examples=["1122334455"]),
]
CommuneCode = Annotated[
    str,
    Field(pattern=r"^[0-9]{5}$", max_length=5),
    Field(description="5-digit national commune code.", examples=["03127"]),
]
EthnicityCode = Annotated[
    str,
    Field(pattern=r"^[0-9]{2}$", max_length=2),
    Field(description="2-digit national ethnic-group code (99 = unknown).", examples=["03"]),
]

DecisionNumber = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Za-zĐđ][0-9A-Za-zĐđ/.\- ]{0,49}$",
        max_length=50,
        description="A decision's number as written on it, e.g. 1234/QĐ-LĐTBXH.",
        examples=["1234/QĐ-LĐTBXH"],
    ),
]


_PHONE = re.compile(r"\+?[0-9][0-9 .()-]{6,22}[0-9]")
_PHONE_DIGITS = re.compile(r"\+?[0-9]{8,15}")
_PHONE_SEPARATORS = str.maketrans("", "", " .-()")


def _phone(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not _PHONE.fullmatch(value):
        raise InvalidValue("a phone number: digits, optionally + first and spaces . - ( )")
    digits = value.translate(_PHONE_SEPARATORS)
    if not _PHONE_DIGITS.fullmatch(digits):
        raise InvalidValue("a phone number has 8 to 15 digits")
    return digits


Phone = Annotated[
    str,
    Field(
        pattern=r"^\+?[0-9][0-9 .()-]{6,22}[0-9]$",
        max_length=24,
        description="Stored as digits only (and a leading +).",
        examples=["0912 345 678"],
    ),
    BeforeValidator(_phone),
]


def _not_future(value: date | None) -> date | None:
    if value is not None and value > clock.today():  # the province's today
        raise InvalidValue("must not be in the future")
    return value


PastDate = Annotated[Day, AfterValidator(_not_future)]


def _not_future_year(value: int | None) -> int | None:
    if value is not None and value > clock.today().year:
        raise InvalidValue("must not be in the future")
    return value


BirthYear = Annotated[
    Int, Field(ge=MIN_BIRTH_YEAR, le=2100, examples=[1948]), AfterValidator(_not_future_year)
]
BirthYearQuery = Annotated[int, Field(ge=MIN_BIRTH_YEAR, le=2100, examples=[1948])]
