"""Reading an import file: its header and its rows, before any rule is applied. A CSV (UTF-8,
BOM tolerated, comma, semicolon or tab sniffed from the header) or XLSX (the first sheet,
openpyxl in read-only mode) is recognised by content rather than by name; the header is the
first row that names the required columns (title rows above it are skipped); headers are
matched accent- and case-insensitively, in English or Vietnamese (`COLUMNS`); other columns
(an "STT", notes) are ignored and reported. A file that cannot be read raises `UnreadableFile`
(415), a header that lacks a required column `InvalidFile` (422), before anything is written.
"""

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

import openpyxl  # type: ignore[import-untyped]  # no stubs in the dev dependencies
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from veteran_care.errors import DomainError
from veteran_care.kit.i18n import Message
from veteran_care.kit.text import fold
from veteran_care.registry_import import cards as import_cards
from veteran_care.registry_import import past_checks as import_history

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
    **import_history.COLUMNS,  # the last check, recorded as a past check
    **import_cards.COLUMNS,  # the health-insurance card, recorded as a card
}
_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in (name, *aliases)}
# Column -> the `BeneficiaryCreate` field it fills, where they differ, and back.
FIELD_OF = {"registered_facility_code": "registered_facility_id"}
COLUMN_OF = {v: k for k, v in FIELD_OF.items()}
# The columns a beneficiary list must have (each tuple: one of them).
PEOPLE: tuple[tuple[str, ...], ...] = (
    ("full_name",),
    ("sex",),
    ("birth_date", "birth_year"),
    ("bhxh_number", "national_id"),
)
Required = Sequence[tuple[str, ...]]

Cell = str | int | float | date | bool | None  # datetime is a date
Records = Generator[tuple[int, Sequence[Cell]], None, None]  # (line, cells), blank rows skipped


class UnreadableFile(DomainError):
    status = 415
    code = "unsupported-file"


class InvalidFile(DomainError):
    status = 422
    code = "invalid-file"


@dataclass
class Table:
    columns: list[str | None]  # the column of each position; None: ignored
    ignored: list[str]
    rows: Records
    total: int | None


def is_blank(cells: Sequence[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _header(
    cells: Sequence[Cell], required: Required
) -> tuple[list[str | None], list[str], list[str]]:
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
            raise InvalidFile(
                Message(
                    "The columns {first} and {second} both mean {name}.",
                    first=repr(seen[name]),
                    second=repr(label),
                    name=name,
                )
            )
        if name is not None:
            seen[name] = label
        columns.append(name)
    missing = [" or ".join(either) for either in required if not set(either) & set(seen)]
    return columns, ignored, missing


def _table(records: Records, total: int | None, required: Required) -> Table:
    """Find the header (title rows above it are skipped); `total`: non-blank rows, if known."""
    best: tuple[int, list[str]] | None = None
    try:
        for consumed, (_, cells) in enumerate(itertools.islice(records, HEADER_SEARCH), 1):
            columns, ignored, missing = _header(cells, required)
            if not missing:
                rows = None if total is None else max(total - consumed, 0)
                return Table(columns, ignored, records, rows)
            known = sum(column is not None for column in columns)
            if best is None or known > best[0]:
                best = (known, missing)
        if best is None:
            raise InvalidFile("The file is empty.")
        raise InvalidFile(
            Message(
                "Missing column(s): {columns}. See docs/import-template.csv.",
                columns="; ".join(best[1]),
            ),
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
            if "".join(record).strip():  # not blank (all its cells are text)
                yield start, record
    finally:
        text.detach()  # the caller owns the file


def _csv_table(source: BinaryIO, required: Required) -> Table:
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
        raise UnreadableFile(Message("The CSV file cannot be read: {exc}.", exc=exc)) from exc
    return _table(_csv_records(source, delimiter), total, required)


# What openpyxl raises on a damaged workbook (ElementTree's ParseError is a SyntaxError).
_XLSX_ERRORS = (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError)


def _xlsx_table(source: BinaryIO, required: Required) -> Table:
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except (*_XLSX_ERRORS, IndexError, InvalidFileException) as exc:
        raise UnreadableFile("The file is a ZIP archive but not an XLSX workbook.") from exc

    def records() -> Records:
        try:
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                if not is_blank(cells):
                    yield line, cells
        except _XLSX_ERRORS as exc:  # a damaged sheet, found while reading it
            raise UnreadableFile(
                Message("The XLSX workbook is damaged: {name}.", name=type(exc).__name__)
            ) from exc
        finally:
            workbook.close()

    rows = sheet.max_row
    return _table(records(), rows if isinstance(rows, int) else None, required)


def open_table(source: BinaryIO, required: Required = PEOPLE) -> Table:
    """The header and rows of a CSV or XLSX file (told apart by content), whose header names
    the ``required`` columns (a beneficiary list's by default)."""
    head = source.read(8)
    source.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return _xlsx_table(source, required)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("This is an old Excel .xls file: save it as .xlsx or 'CSV UTF-8'.")
    return _csv_table(source, required)
