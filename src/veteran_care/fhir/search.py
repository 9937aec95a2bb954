"""Parsing FHIR search parameters into the filters the repositories take."""

import re
import uuid
from dataclasses import dataclass
from datetime import date

from veteran_care.beneficiaries.repository import is_identifier
from veteran_care.errors import DomainError
from veteran_care.fhir.codes import INSURANCE_NUMBER_SYSTEM, NATIONAL_ID_SYSTEM

# The OpenAPI patterns of the parameters (checked before any of this runs).
REFERENCE_PATTERN = r"^([A-Za-z]+/)?[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"
DATE_PATTERN = r"^(eq|ge|le|gt|lt)?[0-9]{4}(-[0-9]{2}-[0-9]{2})?$"
TOKEN_PATTERN = r"^([!-{}~]{1,200}\|)?[!-{}~]{1,40}$"

_NATIONAL_ID = re.compile(r"^([0-9]{9}|[0-9]{12})$")
_INSURANCE = re.compile(r"^([0-9]{10}|[A-Za-z]{2}[0-9]{13})$")


class BadSearch(DomainError):
    status = 400
    code = "unsupported-search"


def reference(value: str, resource_type: str, parameter: str) -> uuid.UUID:
    """`Patient/<uuid>` or `<uuid>` (the type, when given, must be the one expected)."""
    kind, _, raw = value.rpartition("/")
    if kind and kind != resource_type:
        raise BadSearch(f"{parameter}: a reference to a {resource_type} is expected.")
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise BadSearch(f"{parameter}: {raw!r} is not an id of this server.") from exc


def identifier(value: str) -> str | None:
    """The value to look up for `identifier=[system|]value`, or None: matches nobody."""
    system, bar, code = value.rpartition("|")
    if not bar:
        return code if is_identifier(code) else None
    if system == NATIONAL_ID_SYSTEM:
        return code if _NATIONAL_ID.match(code) else None
    if system == INSURANCE_NUMBER_SYSTEM:
        return code.upper() if _INSURANCE.match(code) else None
    return None  # another system, or "|value" (no system): we issue neither


@dataclass(frozen=True)
class DateRange:
    year_from: int | None = None
    year_to: int | None = None
    day: date | None = None  # an exact day (eq with full precision)


def _day(text: str, parameter: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadSearch(f"{parameter}: {text} is not a date.") from exc


def birth_range(values: list[str], parameter: str = "birthdate") -> DateRange:
    """Years with any prefix (eq, ge, gt, le, lt); a full date with eq only."""
    year_from: int | None = None
    year_to: int | None = None
    day: date | None = None
    for value in values:
        prefix = value[:2] if value[:2].isalpha() else "eq"
        text = value[2:] if value[:2].isalpha() else value
        if len(text) > 4:
            if prefix != "eq":
                raise BadSearch(f"{parameter}: a full date is searched with eq only; use a year.")
            day = _day(text, parameter)
            year_from = year_to = day.year
            continue
        year = int(text)
        if prefix in ("eq", "ge", "gt"):
            candidate = year + 1 if prefix == "gt" else year
            year_from = max(year_from, candidate) if year_from is not None else candidate
        if prefix in ("eq", "le", "lt"):
            candidate = year - 1 if prefix == "lt" else year
            year_to = min(year_to, candidate) if year_to is not None else candidate
    return DateRange(year_from, year_to, day)


def day_range(values: list[str], parameter: str = "date") -> tuple[date | None, date | None]:
    """Full dates with eq, ge, gt, le, lt; a year alone is that whole year."""
    start: date | None = None
    end: date | None = None
    for value in values:
        prefix = value[:2] if value[:2].isalpha() else "eq"
        text = value[2:] if value[:2].isalpha() else value
        if len(text) == 4:
            if int(text) < 1:
                raise BadSearch(f"{parameter}: there is no year 0.")
            low, high = date(int(text), 1, 1), date(int(text), 12, 31)
        else:
            low = high = _day(text, parameter)
        if prefix == "gt":
            low = date.fromordinal(high.toordinal() + 1) if high < date.max else high
        if prefix == "lt":
            high = date.fromordinal(low.toordinal() - 1) if low > date.min else low
        if prefix in ("eq", "ge", "gt"):
            start = max(start, low) if start else low
        if prefix in ("eq", "le", "lt"):
            end = min(end, high) if end else high
    return start, end
