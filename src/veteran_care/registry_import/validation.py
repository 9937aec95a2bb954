"""Validating import rows: each row of cells becomes a `BeneficiaryCreate` (the API's own
validation, with the same messages), after its cells are converted from what a spreadsheet
holds (DD/MM/YYYY dates, numbers that lost their leading zeros, Vietnamese or English sexes,
ethnic groups and categories by name); its codes are then checked against the reference tables
as `beneficiaries.service` does. A row must carry a BHXH number or a CCCD, each used by no row
higher in the file: that is how a later import finds the person again. A valid row is a `Row`,
an invalid one the list of its `RowError`s.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries.category_rules import disability_rate_problem
from veteran_care.beneficiaries.schemas import BeneficiaryCreate, CardCreate
from veteran_care.history.schemas import PastCheckCreate
from veteran_care.kit.i18n import Message
from veteran_care.registry_import import cards
from veteran_care.registry_import import past_checks as history
from veteran_care.registry_import.cells import CellReader, Reference, load_reference, read_cells
from veteran_care.registry_import.reading import COLUMN_OF, FIELD_OF, Cell
from veteran_care.registry_import.row_errors import RowError, schema_message

__all__ = ["Reference", "Row", "RowError", "Validator", "load_reference", "read_cells"]


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


class Validator:
    def __init__(self, ref: Reference, columns: list[str | None], actor: Actor) -> None:
        self.ref = ref
        self.columns = columns
        self.cells = CellReader(columns, ref)
        self.principal = actor.require()
        self.seen: dict[tuple[str, str], int] = {}  # (field, identifier) -> first line

    def row(self, line: int, cells: Sequence[Cell]) -> Row | list[RowError]:
        values: dict[str, Any] = {}
        last_check: dict[str, Any] = {}  # the last check's columns
        card: dict[str, Any] = {}  # the card's columns
        converted, errors = self.cells.read(line, cells)
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
