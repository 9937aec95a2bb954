"""The cells of an import row and the reference tables they are read against: each column's
cell is converted from what a spreadsheet holds (DD/MM/YYYY dates, numbers that lost their
leading zeros, Vietnamese or English sexes, ethnic groups and categories by name), by a
converter chosen once per column (`CellReader`), before any rule is applied."""

import functools
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.kit.i18n import Message
from veteran_care.kit.text import fold
from veteran_care.models import BeneficiaryCategory, Facility, Sex
from veteran_care.reference import repository as reference
from veteran_care.reference.service import served_provinces
from veteran_care.registry_import import cards
from veteran_care.registry_import import past_checks as history
from veteran_care.registry_import.reading import Cell, is_blank
from veteran_care.registry_import.row_errors import CellError, RowError


@dataclass(frozen=True)
class Reference:
    communes: dict[str, str]  # code -> province name, of the provinces served
    elsewhere: dict[str, str]  # code -> province name, of the others
    ethnic_groups: dict[str, str]  # folded name or code -> code
    ethnic_codes: frozenset[str]
    categories: dict[str, BeneficiaryCategory]  # by code
    category_names: dict[str, str]  # folded code, Vietnamese or English name -> code
    facilities: dict[str, uuid.UUID]  # code -> id
    old_communes: dict[str, list[str]]  # pre-2025 code -> 2025 codes, the default first


async def load_reference(session: AsyncSession) -> Reference:
    communes, served = await reference.communes(session, None), set(served_provinces())
    groups = await reference.ethnic_groups(session)
    categories = await reference.categories(session)
    facilities = (await session.execute(select(Facility.code, Facility.id))).all()
    old_communes: dict[str, list[str]] = {}
    for old, new in await reference.old_communes(session):
        old_communes.setdefault(old, []).append(new)
    return Reference(
        communes={c.code: c.province_name for c in communes if c.province_code in served},
        elsewhere={c.code: c.province_name for c in communes if c.province_code not in served},
        ethnic_groups={fold(g.name): g.code for g in groups} | {g.code: g.code for g in groups},
        ethnic_codes=frozenset(g.code for g in groups),
        categories={c.code: c for c in categories},
        category_names={
            fold(name): c.code for c in categories for name in (c.code, c.name_vi, c.name_en)
        },
        facilities={code.upper(): facility_id for code, facility_id in facilities},
        old_communes=old_communes,
    )


_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"[0-9]{4}")
_RATE = re.compile(r"[0-9]{1,3}")
_CATEGORY_SEPARATORS = re.compile(r"[;|]")
_DMY = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")
_SEXES = {
    "male": Sex.male,
    "nam": Sex.male,
    "female": Sex.female,
    "nu": Sex.female,
    "other": Sex.other,
    "khac": Sex.other,
    "unknown": Sex.unknown,
    "khong ro": Sex.unknown,
}
# Fixed-width codes a spreadsheet stored as numbers (their leading zeros lost).
_WIDTHS = {
    "ethnicity_code": 2,
    "commune_code": 5,
    "bhxh_number": 10,
    cards.NUMBER: 10,
    cards.FACILITY: 5,
}


# Sexes, ethnic groups and categories are few: fold each spelling once.
_folded = functools.lru_cache(maxsize=4096)(fold)


def _text(cell: Cell) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip() or None


def _number_cell(name: str, cell: Cell, text: str) -> str:
    """A numeric XLSX cell of a code column, with its leading zeros back."""
    if not isinstance(cell, int | float) or isinstance(cell, bool) or not text.isdigit():
        return text
    if name == "national_id":
        return text.zfill(9 if len(text) <= 9 else 12)
    if name == "phone":
        return "0" + text if len(text) == 9 else text
    return text.zfill(_WIDTHS.get(name, 0))


def _date(cell: Cell, text: str) -> Any:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    match = _DMY.match(text)
    if match:
        try:
            return date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            raise CellError(Message("not a real date")) from None
    if not _ISO.match(text):
        raise CellError(Message("a date is written YYYY-MM-DD or DD/MM/YYYY"))
    return text


def _category_parts(text: str, ref: Reference) -> list[str]:
    """The cell's categories: split at ; and |, and at commas unless the part is a name that
    has commas of its own (Người hoạt động cách mạng, hoạt động kháng chiến bị địch bắt tù, đày)."""
    parts = []
    for part in _CATEGORY_SEPARATORS.split(text):
        if _folded(part.partition(":")[0]) in ref.category_names:
            parts.append(part)
        else:
            parts.extend(part.split(","))
    return parts


def _categories(text: str, ref: Reference) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for part in _category_parts(text, ref):
        if not part.strip():
            continue
        name, _, rate = part.partition(":")
        item: dict[str, Any] = {"code": ref.category_names.get(_folded(name), name.strip())}
        rate = rate.strip().removesuffix("%").strip()
        if rate:
            if not _RATE.fullmatch(rate):
                raise CellError(Message("a disability rate is a whole percent: wounded-soldier:61"))
            item["disability_rate"] = int(rate)
        items.append(item)
    return items


Converter = Callable[[Cell, str], Any]  # (the cell, its text) -> the column's value


def _upper(cell: Cell, text: str) -> str:
    return text.upper()


def _as_text(cell: Cell, text: str) -> str:
    return text


def _birth_year(cell: Cell, text: str) -> int:
    if not _YEAR.fullmatch(text):
        raise CellError(Message("a year, e.g. 1948"))
    return int(text)


def _sex(cell: Cell, text: str) -> Sex:
    sex = _SEXES.get(_folded(text))
    if sex is None:
        raise CellError(Message("male or female (nam / nữ), other or unknown"))
    return sex


def _health_class(cell: Cell, text: str) -> Any:
    health_class = history.health_class(text)
    if health_class is None:
        raise CellError(Message("a health class I, II, III, IV or V (or 1 to 5)"))
    return health_class


def _converter(name: str, ref: Reference) -> Converter:
    """How the cells of the column ``name`` are read."""
    if name in ("birth_date", history.DAY, cards.FROM, cards.TO):
        return _date
    if name in (cards.NUMBER, cards.FACILITY):
        return _upper
    fixed: dict[str, Converter] = {
        history.CLASS: _health_class,
        "birth_year": _birth_year,
        "sex": _sex,
        history.PLACE: lambda cell, text: history.place(text, ref.facilities),
        "ethnicity_code": lambda cell, text: ref.ethnic_groups.get(_folded(text), text),
        "categories": lambda cell, text: _categories(text, ref),
        "registered_facility_code": lambda cell, text: _facility(text, ref),
    }
    return fixed.get(name, _as_text)


def _facility(text: str, ref: Reference) -> uuid.UUID:
    facility = ref.facilities.get(text.upper())
    if facility is None:
        raise CellError(Message("there is no facility with code {code}", code=text))
    return facility


class CellReader:
    """The cells of a file's rows, read by the converters of its columns (chosen once)."""

    def __init__(self, columns: Sequence[str | None], ref: Reference) -> None:
        self.width = len(columns)
        # A text column's converter is None: its text is its value, without a call.
        self.columns = [
            (index, name, None if convert is _as_text else convert)
            for index, name in enumerate(columns)
            if name is not None
            for convert in (_converter(name, ref),)
        ]

    def read(self, line: int, cells: Sequence[Cell]) -> tuple[dict[str, Any], list[RowError]]:
        """A row's non-empty cells converted, by column name, and the errors of those that
        cannot be read."""
        errors: list[RowError] = []
        values: dict[str, Any] = {}
        if len(cells) > self.width and not is_blank(cells[self.width :]):
            message = Message("more cells than columns")
            errors.append(RowError(line=line, field=None, message=message))
        count = len(cells)
        for index, name, convert in self.columns:
            if index >= count:
                break
            cell = cells[index]
            if type(cell) is str:  # a CSV's cells, most of an XLSX's
                text: str | None = cell.strip() or None
            else:
                text = _text(cell)
                if text is not None:
                    text = _number_cell(name, cell, text)
            if text is None:
                continue
            if convert is None:
                values[name] = text
                continue
            try:
                values[name] = convert(cell, text)
            except CellError as exc:
                errors.append(RowError(line=line, field=name, message=exc.message))
        return values, errors


def read_cells(
    line: int, columns: Sequence[str | None], cells: Sequence[Cell], ref: Reference
) -> tuple[dict[str, Any], list[RowError]]:
    """A row's non-empty cells converted from what a spreadsheet holds, by column name, and
    the errors of those that cannot be read (any import's first step)."""
    return CellReader(columns, ref).read(line, cells)
