"""Parsing FHIR search parameters into the filters the queries take, and the result
parameters (`_id`, `_count`, `_summary`, `_elements`, `_sort`) a search applies."""

import uuid
from dataclasses import dataclass
from datetime import date

from veteran_care.errors import DomainError
from veteran_care.kit.i18n import Message
from veteran_care.kit.pagination import DEFAULT_LIMIT

# The OpenAPI patterns of the parameters (checked before any of this runs).
REFERENCE_PATTERN = r"^([A-Za-z]+/)?[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"
DATE_PATTERN = r"^(eq|ge|le|gt|lt)?[0-9]{4}(-[0-9]{2}-[0-9]{2})?$"
# `system|value`, `system|` (any value of that system) or `value` (any system).
TOKEN_PATTERN = r"^([!-{}~]{1,200}\|[!-{}~]{0,40}|[!-{}~]{1,40})$"
# At most 50 ids: with every other parameter, even a schema-violating request (a fuzzer's, of
# four-byte characters, percent-encoded) stays under the server's 64 KB request line.
MAX_IDS = 50
# `_id`: FHIR ids (https://hl7.org/fhir/R4/datatypes.html#id), one or a comma-separated list.
IDS_PATTERN = rf"^[A-Za-z0-9\-.]{{1,64}}(,[A-Za-z0-9\-.]{{1,64}}){{0,{MAX_IDS - 1}}}$"


class BadSearch(DomainError):
    status = 400
    code = "unsupported-search"


def reference(value: str, resource_type: str, parameter: str) -> uuid.UUID:
    """`Patient/<uuid>` or `<uuid>` (the type, when given, must be the one expected)."""
    kind, _, raw = value.rpartition("/")
    if kind and kind != resource_type:
        raise BadSearch(
            Message(
                "{parameter}: a reference to a {resource_type} is expected.",
                parameter=parameter,
                resource_type=resource_type,
            )
        )
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise BadSearch(
            Message(
                "{parameter}: {raw} is not an id of this server.",
                parameter=parameter,
                raw=repr(raw),
            )
        ) from exc


@dataclass(frozen=True)
class Token:
    """`[system|]code`: `system` None when not given (any system), `code` "" for `system|`."""

    system: str | None
    code: str


def token(value: str | None) -> Token | None:
    if value is None:
        return None
    system, bar, code = value.rpartition("|")
    return Token(system if bar else None, code)


@dataclass(frozen=True)
class Controls:
    """What a search applies besides its filters: `_id` (None when not given), the page
    (`_count`, `_cursor`), `_summary=count` or `_count=0` (the total only), `_sort`, `_elements`,
    and the query parameters as applied, for the Bundle's `self` link."""

    ids: frozenset[str] | None = None
    count: int = DEFAULT_LIMIT
    cursor: str | None = None
    count_only: bool = False
    sort: str | None = None
    elements: frozenset[str] | None = None
    applied: tuple[tuple[str, str], ...] = ()

    def uuids(self) -> list[uuid.UUID] | None:
        """The `_id` values that can be ids of this server (the others match nothing)."""
        if self.ids is None:
            return None
        found = []
        for value in self.ids:
            try:
                found.append(uuid.UUID(value))
            except ValueError:
                continue
        return found


def ids(value: str | None) -> frozenset[str] | None:
    """`_id=a,b`: any of them (IDS_PATTERN bounds their number and shape)."""
    if value is None:
        return None
    return frozenset(v.strip() for v in value.split(",") if v.strip())


@dataclass(frozen=True)
class DateRange:
    year_from: int | None = None
    year_to: int | None = None
    day: date | None = None  # an exact day (eq with full precision)


def _day(text: str, parameter: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadSearch(
            Message("{parameter}: {text} is not a date.", parameter=parameter, text=text)
        ) from exc


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
                raise BadSearch(
                    Message(
                        "{parameter}: a full date is searched with eq only; use a year.",
                        parameter=parameter,
                    )
                )
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
                raise BadSearch(Message("{parameter}: there is no year 0.", parameter=parameter))
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
