"""Validating import rows: each row of cells becomes a `BeneficiaryCreate` (the API's own
validation, with the same messages), after its cells are converted from what a spreadsheet
holds (DD/MM/YYYY dates, numbers that lost their leading zeros, Vietnamese or English sexes,
ethnic groups and categories by name); its codes are then checked against the reference tables
as `beneficiaries.service` does. A row must carry a BHXH number or a CCCD, each used by no row
higher in the file: that is how a later import finds the person again. A valid row is a `Row`,
an invalid one the list of its `RowError`s.
"""

import functools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries.category_rules import disability_rate_problem
from veteran_care.beneficiaries.schemas import BeneficiaryCreate, CardCreate
from veteran_care.history.schemas import PastCheckCreate
from veteran_care.kit.i18n import Message
from veteran_care.kit.text import fold
from veteran_care.models import BeneficiaryCategory, Facility, Sex
from veteran_care.reference import repository as reference
from veteran_care.reference.service import served_provinces
from veteran_care.registry_import import cards
from veteran_care.registry_import import past_checks as history
from veteran_care.registry_import.reading import COLUMN_OF, FIELD_OF, Cell, is_blank
from veteran_care.registry_import.row_errors import CellError, RowError, schema_message

__all__ = ["Reference", "Row", "RowError", "Validator", "load_reference", "read_cells"]


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
    for part in re.split(r"[;|]", text):
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
            if not re.fullmatch(r"[0-9]{1,3}", rate):
                raise CellError(Message("a disability rate is a whole percent: wounded-soldier:61"))
            item["disability_rate"] = int(rate)
        items.append(item)
    return items


def _convert(name: str, cell: Cell, text: str, ref: Reference) -> Any:
    text = _number_cell(name, cell, text)
    if name in ("birth_date", history.DAY, cards.FROM, cards.TO):
        return _date(cell, text)
    if name in (cards.NUMBER, cards.FACILITY):
        return text.upper()
    if name == history.CLASS:
        health_class = history.health_class(text)
        if health_class is None:
            raise CellError(Message("a health class I, II, III, IV or V (or 1 to 5)"))
        return health_class
    if name == history.PLACE:
        return history.place(text, ref.facilities)
    if name == "birth_year":
        if not re.fullmatch(r"[0-9]{4}", text):
            raise CellError(Message("a year, e.g. 1948"))
        return int(text)
    if name == "sex":
        if _folded(text) not in _SEXES:
            raise CellError(Message("male or female (nam / nữ), other or unknown"))
        return _SEXES[_folded(text)]
    if name == "ethnicity_code":
        return ref.ethnic_groups.get(_folded(text), text)
    if name == "categories":
        return _categories(text, ref)
    if name == "registered_facility_code":
        if text.upper() not in ref.facilities:
            raise CellError(Message("there is no facility with code {code}", code=text))
        return ref.facilities[text.upper()]
    return text


# A field whose rule reads another one: its error follows from that one's unreadable cell.
_DEPENDS_ON = {"birth_year": "birth_date"}


def _schema_errors(line: int, errors: list[RowError], exc: ValidationError) -> list[RowError]:
    """The row's `BeneficiaryCreate` errors, except those that follow from a cell already
    reported as unreadable."""
    found: list[RowError] = []
    unreadable = {FIELD_OF.get(str(e.field), e.field) for e in errors}
    for error in exc.errors():
        loc = error["loc"]
        if (not loc and errors) or (loc and {loc[0], _DEPENDS_ON.get(str(loc[0]))} & unreadable):
            continue  # a consequence of a cell already reported
        column = COLUMN_OF.get(str(loc[0]), str(loc[0])) if loc else None
        found.append(RowError(line=line, field=column, message=schema_message(error)))
    return found


@dataclass
class Row:
    """A valid row: the create it stands for, and what it sets when it updates someone."""

    line: int
    data: BeneficiaryCreate
    past_check: PastCheckCreate | None = None  # the last check, when the row gives one
    card: CardCreate | None = None  # the health-insurance card, when the row gives one
    warnings: tuple[RowError, ...] = ()  # what was changed to write it (an old commune code)

    def given(self) -> dict[str, Any]:
        fields = self.data.model_fields_set - {"categories"}
        values = {name: getattr(self.data, name) for name in fields}
        if self.data.birth_date is not None:
            values["birth_year"] = self.data.birth_date.year
        return values


def read_cells(
    line: int, columns: Sequence[str | None], cells: Sequence[Cell], ref: Reference
) -> tuple[dict[str, Any], list[RowError]]:
    """A row's non-empty cells converted from what a spreadsheet holds, by column name, and
    the errors of those that cannot be read (any import's first step)."""
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    if not is_blank(cells[len(columns) :]):
        errors.append(RowError(line=line, field=None, message=Message("more cells than columns")))
    for name, cell in zip(columns, cells, strict=False):
        text = None if name is None else _text(cell)
        if name is None or text is None:
            continue
        try:
            values[name] = _convert(name, cell, text, ref)
        except CellError as exc:
            errors.append(RowError(line=line, field=name, message=exc.message))
    return values, errors


class Validator:
    def __init__(self, ref: Reference, columns: list[str | None], actor: Actor) -> None:
        self.ref = ref
        self.columns = columns
        self.principal = actor.require()
        self.seen: dict[tuple[str, str], int] = {}  # (field, identifier) -> first line

    def row(self, line: int, cells: Sequence[Cell]) -> Row | list[RowError]:
        values: dict[str, Any] = {}
        last_check: dict[str, Any] = {}  # the last check's columns
        card: dict[str, Any] = {}  # the card's columns
        converted, errors = read_cells(line, self.columns, cells, self.ref)
        for name, value in converted.items():
            if name in history.COLUMNS:
                last_check[name] = value
            elif name in cards.COLUMNS:
                card[name] = value
            else:
                values[FIELD_OF.get(name, name)] = value
        try:
            data = BeneficiaryCreate.model_validate(values)
        except ValidationError as exc:
            return errors + _schema_errors(line, errors, exc)
        data, warnings = self._old_commune(line, data)
        errors += self._rules(line, data)
        born = data.birth_date
        checked = history.past_check(last_check, born, born.year if born else data.birth_year or 0)
        checked_card = cards.card(card)
        reported = {e.field for e in errors}  # an unreadable cell is not "missing" too
        for outcome in (checked, checked_card):
            if isinstance(outcome, list):
                errors += [
                    RowError(line=line, field=f, message=m) for f, m in outcome if f not in reported
                ]
        if errors or isinstance(checked, list) or isinstance(checked_card, list):
            return errors
        for key in (("bhxh_number", data.bhxh_number), ("national_id", data.national_id)):
            if key[1] is not None:
                self.seen[(key[0], key[1])] = line
        return Row(line, data, checked, checked_card, warnings)

    def _old_commune(
        self, line: int, data: BeneficiaryCreate
    ) -> tuple[BeneficiaryCreate, tuple[RowError, ...]]:
        """A commune code of before 2025 (none of 2025) read as the 2025 commune it became,
        with a warning; a split commune's default part (decision 0055)."""
        old = data.commune_code
        if old is None or old in self.ref.communes or old in self.ref.elsewhere:
            return data, ()
        parts = self.ref.old_communes.get(old)
        if not parts:
            return data, ()
        message = f"commune code {old} is of before 2025: recorded as {parts[0]}"
        if len(parts) > 1:
            message += f" (the old commune was split: also {', '.join(parts[1:])})"
        warning = RowError(line=line, field="commune_code", message=message)
        return data.model_copy(update={"commune_code": parts[0]}), (warning,)

    def _rules(self, line: int, data: BeneficiaryCreate) -> list[RowError]:
        errors: list[RowError] = []

        def error(column: str | None, message: str) -> None:
            errors.append(RowError(line=line, field=column, message=message))

        if data.bhxh_number is None and data.national_id is None:
            error(
                "bhxh_number",
                Message("give a BHXH number or a CCCD: imports find people by them"),
            )
        for name in ("bhxh_number", "national_id"):
            first = self.seen.get((name, getattr(data, name) or ""))
            if first is not None:
                error(name, Message("the same {column} as line {first}", column=name, first=first))
        if data.ethnicity_code not in self.ref.ethnic_codes:
            error(
                "ethnicity_code",
                Message("there is no ethnic group with code {code}", code=data.ethnicity_code),
            )
        commune = data.commune_code
        if commune is not None and commune in self.ref.elsewhere:
            province = self.ref.elsewhere[commune]
            error(
                "commune_code",
                Message(
                    "commune {commune} is in {province}, which is not served here",
                    commune=commune,
                    province=province,
                ),
            )
        elif commune is not None and commune not in self.ref.communes:
            error("commune_code", Message("there is no commune with code {code}", code=commune))
        unknown = [c.code for c in data.categories if c.code not in self.ref.categories]
        if unknown:
            error(
                "categories",
                Message("unknown beneficiary category {codes}", codes=", ".join(unknown)),
            )
        for item in data.categories:
            category = self.ref.categories.get(item.code)
            problem = category and disability_rate_problem(category, item.disability_rate)
            if problem:
                error("categories", problem[1])
        facility = data.registered_facility_id
        if facility is not None and not self.principal.in_scope(facility):
            error(
                "registered_facility_code",
                Message("you can only register people at your own facilities"),
            )
        return errors
