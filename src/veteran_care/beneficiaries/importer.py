"""Bulk import of beneficiaries from a CSV or XLSX file, by the API's own rules.

Reading: CSV (UTF-8, BOM tolerated, comma, semicolon or tab sniffed from the header) or XLSX
(the first sheet, openpyxl in read-only mode), recognised by content rather than by name. The
header is the first row that names the required columns (title rows above it are skipped);
headers are matched accent- and case-insensitively, in English or Vietnamese (`COLUMNS`);
other columns (an "STT", notes) are ignored and reported.

Rules: each row becomes a `BeneficiaryCreate` (the API's validation) and its codes are checked
against the reference tables as `beneficiaries.service` does. A row must carry a BHXH number or
a CCCD: that is how a later import finds the person again.

Matching: a row updates the beneficiary with its BHXH number, else the one with its CCCD; a row
naming two different people is rejected, as is a second row for the same person or with an
identifier already used higher in the file. Only non-empty cells are applied: an empty cell or
a missing column keeps the stored value (a partial list never wipes data); `categories`, when
given, replaces the list (keeping known recognition dates). A row equal to what is stored is
`unchanged` and not written: importing a file twice changes nothing.

Writing: each batch of rows is one transaction of its own (a session per batch, committed here:
an import is many transactions by design, like bulk scheduling), with bulk statements and one
audit event. A batch that hits an IntegrityError is redone row by row in savepoints, so that
only the culprits are rejected and nothing partial is written for them.
"""

import csv
import functools
import io
import itertools
import re
import uuid
import zipfile
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

import asyncpg  # type: ignore[import-untyped]
import openpyxl  # type: ignore[import-untyped]  # no stubs in the dev dependencies
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import any_, bindparam, delete, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from veteran_care.audit import service as audit
from veteran_care.beneficiaries.identifiers import national_id_type
from veteran_care.beneficiaries.repository import in_scope_clause
from veteran_care.beneficiaries.schemas import BeneficiaryCreate
from veteran_care.db import WRITE_OPTION, Base, utcnow
from veteran_care.errors import DomainError, unique_violation_fields
from veteran_care.identity.principal import Actor
from veteran_care.kit.text import fold
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    Facility,
    Sex,
)
from veteran_care.reference import repository as reference

BATCH_SIZE = 1000
MAX_ERRORS = 1000
HEADER_SEARCH = 10  # the header is the first row naming the required columns

# Column -> accepted header aliases (folded, words joined by "_"); the English name always is.
COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": ("ho_ten", "ho_va_ten"),
    "birth_date": ("ngay_sinh",),
    "birth_year": ("nam_sinh",),
    "sex": ("gioi_tinh",),
    "ethnicity_code": ("ma_dan_toc", "dan_toc"),
    "national_id": ("cccd", "cccd_cmnd", "so_cccd", "cmnd", "so_dinh_danh"),
    "bhxh_number": ("ma_bhxh", "so_bhxh", "ma_so_bhxh"),
    "phone": ("dien_thoai", "so_dien_thoai", "sdt"),
    "commune_code": ("ma_xa",),
    "address_line": ("dia_chi",),
    "legacy_district": ("huyen_cu",),
    "categories": ("doi_tuong",),
    "registered_facility_code": ("ma_co_so", "ma_cskcb"),
}
_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in (name, *aliases)}
_FIELD_OF = {"registered_facility_code": "registered_facility_id"}
_COLUMN_OF = {v: k for k, v in _FIELD_OF.items()}

Cell = str | int | float | date | bool | None  # datetime is a date
Progress = Callable[[int, int | None], None]  # rows done, rows in the file (when known)
Records = Generator[tuple[int, Sequence[Cell]], None, None]  # (line, cells), blank rows skipped


class UnreadableFile(DomainError):
    status = 415
    code = "unsupported-file"


class InvalidFile(DomainError):
    status = 422
    code = "invalid-file"


class RowError(BaseModel):
    line: int = Field(description="Line of the CSV file, or row of the sheet (header: 1).")
    field: str | None = Field(description="The column (English name); null: the whole row.")
    message: str


class ImportSummary(BaseModel):
    rows: int = Field(description="Data rows read (blank rows are skipped).")
    created: int
    updated: int
    unchanged: int
    rejected: int = Field(description="Rows not written; `errors` says why.")
    errors: list[RowError] = Field(description=f"The first {MAX_ERRORS} errors, in file order.")
    errors_omitted: int = Field(description="Errors beyond those listed.")
    ignored_columns: list[str] = Field(description="Header cells that name no known column.")


# --- Reading ---------------------------------------------------------------------------------


@dataclass
class Table:
    columns: list[str | None]  # the column of each position; None: ignored
    ignored: list[str]
    rows: Records
    total: int | None


def _is_blank(cells: Sequence[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _header(cells: Sequence[Cell]) -> tuple[list[str | None], list[str], list[str]]:
    """The column at each position, the ignored labels and the required columns missing."""
    columns: list[str | None] = []
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for cell in cells:
        label = "" if cell is None else str(cell).strip()
        name = _ALIASES.get(re.sub(r"[^a-z0-9]+", "_", fold(label)).strip("_"))
        if name is None and label:
            ignored.append(label)
        if name is not None and name in seen:
            raise InvalidFile(f"The columns {seen[name]!r} and {label!r} both mean {name}.")
        if name is not None:
            seen[name] = label
        columns.append(name)
    missing = [name for name in ("full_name", "sex") if name not in seen]
    for either in (("birth_date", "birth_year"), ("bhxh_number", "national_id")):
        if not set(either) & set(seen):
            missing.append(" or ".join(either))
    return columns, ignored, missing


def _table(records: Records, total: int | None) -> Table:
    """Find the header (title rows above it are skipped); `total`: non-blank rows, if known."""
    best: tuple[int, list[str]] | None = None
    try:
        for consumed, (_, cells) in enumerate(itertools.islice(records, HEADER_SEARCH), 1):
            columns, ignored, missing = _header(cells)
            if not missing:
                rows = None if total is None else max(total - consumed, 0)
                return Table(columns, ignored, records, rows)
            known = sum(column is not None for column in columns)
            if best is None or known > best[0]:
                best = (known, missing)
        if best is None:
            raise InvalidFile("The file is empty.")
        raise InvalidFile(
            f"Missing column(s): {'; '.join(best[1])}. See docs/import-template.csv.",
            missing=best[1],
        )
    except BaseException:
        records.close()
        raise


def _csv_records(source: BinaryIO, delimiter: str) -> Records:
    """(line where the record starts, cells) of each non-blank record."""
    source.seek(0)
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text, delimiter=delimiter)
        end = 0
        for record in reader:
            start, end = end + 1, reader.line_num
            if not _is_blank(record):
                yield start, record
    finally:
        text.detach()  # the caller owns the file


def _csv_table(source: BinaryIO) -> Table:
    sample = source.read(65536).decode("utf-8-sig", errors="ignore")
    first = next((line for line in sample.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    try:  # a first pass: the whole file is UTF-8 and CSV before anything is written
        total = sum(1 for _ in _csv_records(source, delimiter))
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            "The file is neither an XLSX workbook nor a UTF-8 CSV file "
            "(in a spreadsheet program, save it as 'CSV UTF-8')."
        ) from exc
    except csv.Error as exc:
        raise UnreadableFile(f"The CSV file cannot be read: {exc}.") from exc
    return _table(_csv_records(source, delimiter), total)


# What openpyxl raises on a damaged workbook (ElementTree's ParseError is a SyntaxError).
_XLSX_ERRORS = (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError)


def _xlsx_table(source: BinaryIO) -> Table:
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except (*_XLSX_ERRORS, IndexError, InvalidFileException) as exc:
        raise UnreadableFile("The file is a ZIP archive but not an XLSX workbook.") from exc

    def records() -> Records:
        try:
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                if not _is_blank(cells):
                    yield line, cells
        except _XLSX_ERRORS as exc:  # a damaged sheet, found while reading it
            raise UnreadableFile(f"The XLSX workbook is damaged: {type(exc).__name__}.") from exc
        finally:
            workbook.close()

    rows = sheet.max_row
    return _table(records(), rows if isinstance(rows, int) else None)


def open_table(source: BinaryIO) -> Table:
    """The header and rows of a CSV or XLSX file (told apart by content)."""
    head = source.read(8)
    source.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return _xlsx_table(source)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("This is an old Excel .xls file: save it as .xlsx or 'CSV UTF-8'.")
    return _csv_table(source)


# --- Validating ------------------------------------------------------------------------------


class _CellError(ValueError):
    pass


@dataclass(frozen=True)
class _Reference:
    communes: frozenset[str]
    ethnic_groups: dict[str, str]  # folded name or code -> code
    ethnic_codes: frozenset[str]
    categories: dict[str, bool]  # code -> carries a disability rate
    category_names: dict[str, str]  # folded code, Vietnamese or English name -> code
    facilities: dict[str, uuid.UUID]  # code -> id


async def _reference(session: AsyncSession) -> _Reference:
    groups = await reference.ethnic_groups(session)
    categories = await reference.categories(session)
    facilities = (await session.execute(select(Facility.code, Facility.id))).all()
    return _Reference(
        communes=frozenset(c.code for c in await reference.communes(session, None)),
        ethnic_groups={fold(g.name): g.code for g in groups} | {g.code: g.code for g in groups},
        ethnic_codes=frozenset(g.code for g in groups),
        categories={c.code: c.carries_disability_rate for c in categories},
        category_names={
            fold(name): c.code for c in categories for name in (c.code, c.name_vi, c.name_en)
        },
        facilities={code.upper(): facility_id for code, facility_id in facilities},
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
_WIDTHS = {"ethnicity_code": 2, "commune_code": 5, "bhxh_number": 10}


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
            raise _CellError("not a real date") from None
    if not _ISO.match(text):
        raise _CellError("a date is written YYYY-MM-DD or DD/MM/YYYY")
    return text


def _categories(text: str, ref: _Reference) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for part in re.split(r"[;,|]", text):
        if not part.strip():
            continue
        name, _, rate = part.partition(":")
        item: dict[str, Any] = {"code": ref.category_names.get(_folded(name), name.strip())}
        rate = rate.strip().removesuffix("%").strip()
        if rate:
            if not re.fullmatch(r"[0-9]{1,3}", rate):
                raise _CellError("a disability rate is a whole percent: wounded-soldier:61")
            item["disability_rate"] = int(rate)
        items.append(item)
    return items


def _convert(name: str, cell: Cell, text: str, ref: _Reference) -> Any:
    text = _number_cell(name, cell, text)
    if name == "birth_date":
        return _date(cell, text)
    if name == "birth_year":
        if not re.fullmatch(r"[0-9]{4}", text):
            raise _CellError("a year, e.g. 1948")
        return int(text)
    if name == "sex":
        if _folded(text) not in _SEXES:
            raise _CellError("male or female (nam / nữ), other or unknown")
        return _SEXES[_folded(text)]
    if name == "ethnicity_code":
        return ref.ethnic_groups.get(_folded(text), text)
    if name == "categories":
        return _categories(text, ref)
    if name == "registered_facility_code":
        if text.upper() not in ref.facilities:
            raise _CellError(f"there is no facility with code {text}")
        return ref.facilities[text.upper()]
    return text


@dataclass
class _Row:
    """A valid row: the create it stands for, and what it sets when it updates someone."""

    line: int
    data: BeneficiaryCreate

    def given(self) -> dict[str, Any]:
        fields = self.data.model_fields_set - {"categories"}
        values = {name: getattr(self.data, name) for name in fields}
        if self.data.birth_date is not None:
            values["birth_year"] = self.data.birth_date.year
        return values


class _Validator:
    def __init__(self, ref: _Reference, columns: list[str | None], actor: Actor) -> None:
        self.ref = ref
        self.columns = columns
        self.principal = actor.require()
        self.seen: dict[tuple[str, str], int] = {}  # (field, identifier) -> first line

    def row(self, line: int, cells: Sequence[Cell]) -> _Row | list[RowError]:
        errors: list[RowError] = []
        values: dict[str, Any] = {}
        if not _is_blank(cells[len(self.columns) :]):
            errors.append(RowError(line=line, field=None, message="more cells than columns"))
        for name, cell in zip(self.columns, cells, strict=False):
            text = None if name is None else _text(cell)
            if name is None or text is None:
                continue
            try:
                values[_FIELD_OF.get(name, name)] = _convert(name, cell, text, self.ref)
            except _CellError as exc:
                errors.append(RowError(line=line, field=name, message=str(exc)))
        try:
            data = BeneficiaryCreate.model_validate(values)
        except ValidationError as exc:
            unreadable = {_FIELD_OF.get(str(e.field), e.field) for e in errors}
            for error in exc.errors():
                loc = error["loc"]
                if (not loc and errors) or (loc and loc[0] in unreadable):
                    continue  # a consequence of a cell already reported
                message = str(error["msg"]).removeprefix("Value error, ")
                if len(loc) > 1:
                    message = f"{'.'.join(map(str, loc[1:]))}: {message}"
                column = _COLUMN_OF.get(str(loc[0]), str(loc[0])) if loc else None
                errors.append(RowError(line=line, field=column, message=message))
            return errors
        errors += self._rules(line, data)
        if errors:
            return errors
        for key in (("bhxh_number", data.bhxh_number), ("national_id", data.national_id)):
            if key[1] is not None:
                self.seen[(key[0], key[1])] = line
        return _Row(line, data)

    def _rules(self, line: int, data: BeneficiaryCreate) -> list[RowError]:
        errors: list[RowError] = []

        def error(column: str | None, message: str) -> None:
            errors.append(RowError(line=line, field=column, message=message))

        if data.bhxh_number is None and data.national_id is None:
            error("bhxh_number", "give a BHXH number or a CCCD: imports find people by them")
        for name in ("bhxh_number", "national_id"):
            first = self.seen.get((name, getattr(data, name) or ""))
            if first is not None:
                error(name, f"the same {name} as line {first}")
        if data.ethnicity_code not in self.ref.ethnic_codes:
            error("ethnicity_code", f"there is no ethnic group with code {data.ethnicity_code}")
        if data.commune_code is not None and data.commune_code not in self.ref.communes:
            error("commune_code", f"there is no commune with code {data.commune_code}")
        unknown = [c.code for c in data.categories if c.code not in self.ref.categories]
        if unknown:
            error("categories", f"unknown beneficiary category {', '.join(unknown)}")
        for item in data.categories:
            carries = self.ref.categories.get(item.code)
            if carries and item.disability_rate is None:
                error("categories", f"a {item.code} carries a disability rate (1-100 %)")
            if carries is False and item.disability_rate is not None:
                error("categories", f"the category {item.code} has no disability rate")
        facility = data.registered_facility_id
        if facility is not None and not self.principal.in_scope(facility):
            error(
                "registered_facility_code",
                "you can only register people at your own facilities",
            )
        return errors


# --- Writing ---------------------------------------------------------------------------------

_STORED = (
    Beneficiary.full_name,
    Beneficiary.birth_date,
    Beneficiary.birth_year,
    Beneficiary.sex,
    Beneficiary.ethnicity_code,
    Beneficiary.national_id,
    Beneficiary.bhxh_number,
    Beneficiary.phone,
    Beneficiary.commune_code,
    Beneficiary.address_line,
    Beneficiary.legacy_district,
    Beneficiary.registered_facility_id,
)
_UPDATE = (
    update(Beneficiary)
    .where(Beneficiary.id == bindparam("b_id"))
    .values(version=Beneficiary.version + 1)
)
Membership = BeneficiaryCategoryMembership


def _one_of(column: Any, values: list[Any], postgresql: bool) -> Any:
    """`column IN (...)`; on PostgreSQL `= ANY(:array)`: one parameter, so one statement
    (prepared once) whatever the number of values."""
    if postgresql:
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


async def _insert(
    connection: AsyncConnection, model: type[Base], rows: list[dict[str, Any]], postgresql: bool
) -> None:
    """A bulk INSERT; on PostgreSQL a COPY (twice as fast as executemany: the import target
    of 5,000 rows/s is met with room to spare), in the same transaction."""
    if not rows:
        return
    if not postgresql:
        await connection.execute(insert(model), rows)
        return
    columns = list(rows[0])
    driver: Any = (await connection.get_raw_connection()).driver_connection
    try:
        await driver.copy_records_to_table(
            model.__tablename__,
            records=[tuple(row[column] for column in columns) for row in rows],
            columns=columns,
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(f"COPY {model.__tablename__}", None, exc) from exc


@dataclass
class _Plan:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[uuid.UUID] = field(default_factory=list)  # memberships deleted first
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)  # one per rejected row
    matched: dict[uuid.UUID, int] = field(default_factory=dict)  # person -> line
    fields: set[str] = field(default_factory=set)

    def merge(self, other: "_Plan") -> None:
        for name in ("inserts", "updates", "memberships", "replaced", "errors"):
            getattr(self, name).extend(getattr(other, name))
        self.unchanged += other.unchanged
        self.matched |= other.matched
        self.fields |= other.fields


class _Writer:
    def __init__(self, actor: Actor, default_facility: uuid.UUID | None) -> None:
        self.actor = actor
        principal = actor.require()
        self.scope = principal.scope
        if default_facility is None and self.scope is not None and len(self.scope) == 1:
            default_facility = next(iter(self.scope))
        self.default_facility = default_facility
        self.matched: dict[uuid.UUID, int] = {}  # people written or matched, across batches

    async def _plan(self, session: AsyncSession, rows: Sequence[_Row]) -> _Plan:
        bhxh = [r.data.bhxh_number for r in rows if r.data.bhxh_number]
        ids = [r.data.national_id for r in rows if r.data.national_id]
        visible = literal(True) if self.scope is None else in_scope_clause(self.scope)
        postgresql = session.get_bind().dialect.name == "postgresql"
        stmt = (
            select(Beneficiary.id, visible.label("visible"), *_STORED)
            .where(
                or_(
                    _one_of(Beneficiary.bhxh_number, bhxh, postgresql),
                    _one_of(Beneficiary.national_id, ids, postgresql),
                )
            )
            .order_by(Beneficiary.id)
            .with_for_update(of=Beneficiary)
        )
        found = [row._asdict() for row in (await session.execute(stmt)).all()]
        by_bhxh = {f["bhxh_number"]: f for f in found if f["bhxh_number"]}
        by_id = {f["national_id"]: f for f in found if f["national_id"]}
        held: dict[uuid.UUID, dict[str, tuple[int | None, date | None]]] = {}
        if found:
            stmt_m = select(
                Membership.beneficiary_id,
                Membership.category_code,
                Membership.disability_rate,
                Membership.recognition_date,
            ).where(_one_of(Membership.beneficiary_id, [f["id"] for f in found], postgresql))
            for person, code, rate, recognised in (await session.execute(stmt_m)).all():
                held.setdefault(person, {})[code] = (rate, recognised)
        plan = _Plan()
        now = utcnow()
        for row in rows:
            data = row.data
            by_b = by_bhxh.get(data.bhxh_number) if data.bhxh_number else None
            by_n = by_id.get(data.national_id) if data.national_id else None
            if by_b is not None and by_n is not None and by_b["id"] != by_n["id"]:
                plan.errors.append(
                    RowError(
                        line=row.line,
                        field="national_id",
                        message="the BHXH number is one beneficiary's and the CCCD another's",
                    )
                )
                continue
            stored = by_b or by_n
            if stored is None:
                self._create(plan, row, now)
                continue
            first = self.matched.get(stored["id"]) or plan.matched.get(stored["id"])
            if first is not None:
                message = f"the same beneficiary as line {first}"
            elif not stored["visible"]:
                message = "this beneficiary is not registered at your facilities"
            else:
                self._update(plan, row, stored, held.get(stored["id"], {}), now)
                continue
            plan.errors.append(RowError(line=row.line, field=None, message=message))
        return plan

    def _create(self, plan: _Plan, row: _Row, now: datetime) -> None:
        data = row.data
        values = data.model_dump(exclude={"categories"})
        values["registered_facility_id"] = data.registered_facility_id or self.default_facility
        if values["registered_facility_id"] is None and self.scope is not None:
            plan.errors.append(
                RowError(
                    line=row.line,
                    field="registered_facility_code",
                    message="choose one of your facilities (ma_co_so)",
                )
            )
            return
        if data.birth_date is not None:
            values["birth_year"] = data.birth_date.year
        beneficiary_id = uuid.uuid4()
        values |= {
            "id": beneficiary_id,
            "name_search": fold(data.full_name),
            "national_id_type": national_id_type(data.national_id) if data.national_id else None,
            "status": BeneficiaryStatus.active,
            "date_of_death": None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        plan.inserts.append(values)
        plan.memberships += [
            {
                "beneficiary_id": beneficiary_id,
                "category_code": c.code,
                "disability_rate": c.disability_rate,
                "recognition_date": c.recognition_date,
            }
            for c in data.categories
        ]
        plan.matched[beneficiary_id] = row.line
        plan.fields |= row.data.model_fields_set

    def _update(
        self,
        plan: _Plan,
        row: _Row,
        stored: dict[str, Any],
        held: dict[str, tuple[int | None, date | None]],
        now: datetime,
    ) -> None:
        plan.matched[stored["id"]] = row.line
        given = row.given()
        changes = {name: value for name, value in given.items() if stored[name] != value}
        if (
            "birth_year" in given
            and "birth_date" not in given
            and stored["birth_date"] is not None
            and stored["birth_date"].year != given["birth_year"]
        ):
            changes["birth_date"] = None  # a bare year replaces a date of another year
        categories = None
        if "categories" in row.data.model_fields_set:
            categories = {
                c.code: (c.disability_rate, c.recognition_date or held.get(c.code, (0, None))[1])
                for c in row.data.categories
            }
        if categories == held:
            categories = None
        if not changes and categories is None:
            plan.unchanged += 1
            return
        merged = {name: stored[name] for name in stored if name not in ("id", "visible")}
        merged |= changes
        merged["name_search"] = fold(merged["full_name"])
        nid = merged["national_id"]
        merged["national_id_type"] = national_id_type(nid) if nid else None
        plan.updates.append({**merged, "b_id": stored["id"], "updated_at": now})
        plan.fields |= set(changes)
        if categories is not None:
            plan.fields.add("categories")
            plan.replaced.append(stored["id"])
            plan.memberships += [
                {
                    "beneficiary_id": stored["id"],
                    "category_code": code,
                    "disability_rate": rate,
                    "recognition_date": recognised,
                }
                for code, (rate, recognised) in categories.items()
            ]

    async def _apply(self, session: AsyncSession, plan: _Plan) -> None:
        connection = await session.connection()
        postgresql = connection.dialect.name == "postgresql"
        await _insert(connection, Beneficiary, plan.inserts, postgresql)
        if plan.updates:
            await connection.execute(_UPDATE, plan.updates)
        if plan.replaced:
            await connection.execute(
                delete(Membership).where(
                    _one_of(Membership.beneficiary_id, plan.replaced, postgresql)
                )
            )
        await _insert(connection, Membership, plan.memberships, postgresql)

    async def _attempt(self, session: AsyncSession, rows: Sequence[_Row]) -> _Plan:
        if not rows:
            return _Plan()
        async with session.begin_nested():
            plan = await self._plan(session, rows)
            await self._apply(session, plan)
        return plan

    async def write(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: Sequence[_Row],
        lines: tuple[int, int],
        invalid: int,
    ) -> _Plan:
        """Write one batch in one transaction, with its audit event."""
        async with sessionmaker() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            try:
                plan = await self._attempt(session, rows)
            except IntegrityError:
                plan = _Plan()  # find the culprits: one savepoint per row
                for row in rows:
                    try:
                        plan.merge(await self._attempt(session, [row]))
                    except IntegrityError as exc:
                        columns = unique_violation_fields(exc)
                        message = (
                            f"another beneficiary already has this {', '.join(columns)}"
                            if columns
                            else "the row breaks a rule of the data model"
                        )
                        column = columns[0] if columns and len(columns) == 1 else None
                        plan.errors.append(RowError(line=row.line, field=column, message=message))
                    self.matched |= plan.matched
            await audit.record(
                session,
                self.actor,
                "import",
                resource_type="beneficiary",
                changed_fields=sorted(_COLUMN_OF.get(name, name) for name in plan.fields) or None,
                detail=(
                    f"lines {lines[0]}-{lines[1]}: created {len(plan.inserts)}, updated "
                    f"{len(plan.updates)}, unchanged {plan.unchanged}, "
                    f"rejected {len(plan.errors) + invalid}"
                ),
            )
            await session.commit()
        self.matched |= plan.matched
        return plan


# --- The import ------------------------------------------------------------------------------


@dataclass
class _Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    omitted: int = 0

    def reject(self, errors: Sequence[RowError]) -> None:
        self.rejected += 1
        room = max(MAX_ERRORS - len(self.errors), 0)
        self.errors += errors[:room]
        self.omitted += max(len(errors) - room, 0)


async def import_beneficiaries(
    sessionmaker: async_sessionmaker[AsyncSession],
    source: BinaryIO,
    actor: Actor,
    *,
    default_facility_code: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a CSV or XLSX file of beneficiaries (a seekable binary file). Raises
    `UnreadableFile` (415) or `InvalidFile` (422) before writing anything when the file cannot
    be read or its header lacks a required column; `default_facility_code` registers the new
    people whose row names no facility."""
    table = open_table(source)
    try:
        async with sessionmaker() as session:
            ref = await _reference(session)
        default_facility = None
        if default_facility_code is not None:
            default_facility = ref.facilities.get(default_facility_code.upper())
            if default_facility is None:
                raise InvalidFile(
                    f"There is no facility with code {default_facility_code}.",
                    code="unknown-facility",
                )
            if not actor.require().in_scope(default_facility):
                raise InvalidFile("You can only register people at your own facilities.")
        validator = _Validator(ref, table.columns, actor)
        writer = _Writer(actor, default_facility)
        tally = _Tally()
        while chunk := list(itertools.islice(table.rows, batch_size)):
            valid: list[_Row] = []
            rejected: dict[int, list[RowError]] = {}
            for line, cells in chunk:
                checked = validator.row(line, cells)
                if isinstance(checked, _Row):
                    valid.append(checked)
                else:
                    rejected[line] = checked
            plan = await writer.write(
                sessionmaker, valid, (chunk[0][0], chunk[-1][0]), len(rejected)
            )
            for error in plan.errors:
                rejected[error.line] = [error]
            for line in sorted(rejected):
                tally.reject(rejected[line])
            tally.rows += len(chunk)
            tally.created += len(plan.inserts)
            tally.updated += len(plan.updates)
            tally.unchanged += plan.unchanged
            if progress is not None:
                progress(tally.rows, table.total)
    finally:
        table.rows.close()
    return ImportSummary(
        rows=tally.rows,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        rejected=tally.rejected,
        errors=tally.errors,
        errors_omitted=tally.omitted,
        ignored_columns=table.ignored,
    )
