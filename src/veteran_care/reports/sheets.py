"""A report as the file an officer hands in: a title block (the agency, the report's name, the
period, when and by whom it was made), a header row in the reader's language, the rows, a totals
row; XLSX ready to print (A4 landscape, the header row repeated on each page, one page wide),
rates as percentages, counts with thousands separators, columns as wide as what they hold.

CSV carries the same blocks as text lines above the table. Its rates are plain numbers of percent
(``75.0``) under a header that says ``(%)``: a spreadsheet reads them as numbers, whatever its
locale's separators, which a ``75,0 %`` text would not allow. Days are written as the officer
writes them, dd/mm/yyyy: in XLSX a real date (a number) with that format, in CSV that text.

The PDF is laid out from the same sheets (:mod:`veteran_care.reports.paper`); :func:`document`
chooses the writer."""

import asyncio
import csv
import io
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from veteran_care.reports import paper
from veteran_care.reports.exports import BOM, CSV_TYPE, XLSX_TYPE, Document
from veteran_care.reports.layout import Column, Sheet, TitleBlock
from veteran_care.reports.layout import plain as _plain

DAY_FORMAT = "dd/mm/yyyy"
HEADER_ROW = 5  # rows 0-3: the title block, 4: blank
FORMATS = ("csv", "xlsx", "pdf")


def _line(sheet: Sheet, row: Mapping[str, Any], first: str | None = None) -> list[Any]:
    cells = [_plain(row.get(c.key)) for c in sheet.columns]
    if first is not None:
        cells[0] = first
    return cells


def csv_document(stem: str, block: TitleBlock, sheets: Sequence[Sheet]) -> Document:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([[block.agency], [block.title], [block.period], [block.made]])
    for sheet in sheets:
        writer.writerow([])
        if len(sheets) > 1:
            writer.writerow([sheet.name])
        writer.writerow([c.header for c in sheet.columns])
        writer.writerows(_line(sheet, row) for row in sheet.rows)
        if sheet.total is not None:
            writer.writerow(_line(sheet, sheet.total, sheet.total_label))
        writer.writerows([note] for note in sheet.notes)
    return Document(stem, "csv", CSV_TYPE, buffer.getvalue())


class _Formats:
    def __init__(self, workbook: Any) -> None:
        base = {"font_name": "Times New Roman", "font_size": 11}
        cell = base | {"border": 1, "valign": "top"}
        self.agency = workbook.add_format(base | {"bold": True})
        self.title = workbook.add_format(base | {"bold": True, "font_size": 14})
        self.plain = workbook.add_format(base | {"italic": True})
        self.header = workbook.add_format(
            cell | {"bold": True, "text_wrap": True, "align": "center", "bg_color": "#DDEBF7"}
        )
        self.kinds = {
            "text": workbook.add_format(cell | {"text_wrap": True}),
            "count": workbook.add_format(cell | {"num_format": "#,##0"}),
            "number": workbook.add_format(cell | {"num_format": "#,##0.##"}),
            "rate": workbook.add_format(cell | {"num_format": "0.0%"}),
            "date": workbook.add_format(cell | {"num_format": DAY_FORMAT, "align": "left"}),
        }
        bold = cell | {"bold": True, "top": 2}
        self.totals = {
            "text": workbook.add_format(bold),
            "count": workbook.add_format(bold | {"num_format": "#,##0"}),
            "number": workbook.add_format(bold | {"num_format": "#,##0.##"}),
            "rate": workbook.add_format(bold | {"num_format": "0.0%"}),
            "date": workbook.add_format(bold | {"num_format": DAY_FORMAT, "align": "left"}),
        }


def _width(column: Column, sheet: Sheet) -> float:
    values = [len(str(_plain(row.get(column.key)))) for row in sheet.rows]
    longest = max([*values, len(sheet.total_label) if column is sheet.columns[0] else 0, 6])
    header = min(len(column.header), 24)  # a long header wraps
    return min(max(longest, header) + 2, 48)


def _write_row(
    sheet_out: Any,
    line: int,
    sheet: Sheet,
    row: Mapping[str, Any],
    formats: Any,
    first: str | None = None,
) -> None:
    for col, column in enumerate(sheet.columns):
        value = row.get(column.key)
        if col == 0 and first is not None:
            value = first
        fmt = formats[column.kind if not (col == 0 and first) else "text"]
        if value is None:
            sheet_out.write_blank(line, col, None, fmt)
        elif column.kind == "rate":
            sheet_out.write_number(line, col, float(value) / 100, fmt)
        elif isinstance(value, date) and not isinstance(value, datetime):
            sheet_out.write_datetime(line, col, value, formats["date"])
        else:
            sheet_out.write(line, col, _plain(value), fmt)


def _write_sheet(workbook: Any, formats: _Formats, block: TitleBlock, sheet: Sheet) -> None:
    out = workbook.add_worksheet(sheet.name[:31])
    last = max(len(sheet.columns) - 1, 1)
    out.merge_range(0, 0, 0, last, block.agency, formats.agency)
    out.merge_range(1, 0, 1, last, block.title, formats.title)
    out.merge_range(2, 0, 2, last, block.period, formats.plain)
    out.merge_range(3, 0, 3, last, block.made, formats.plain)
    for col, column in enumerate(sheet.columns):
        out.write(HEADER_ROW, col, column.header, formats.header)
        out.set_column(col, col, _width(column, sheet))
    line = HEADER_ROW
    for line, row in enumerate(sheet.rows, start=HEADER_ROW + 1):
        _write_row(out, line, sheet, row, formats.kinds)
    if sheet.total is not None:
        line += 1
        _write_row(out, line, sheet, sheet.total, formats.totals, sheet.total_label)
    for note in sheet.notes:
        line += 1
        out.write(line + 1, 0, note, formats.plain)
    out.set_landscape()
    out.set_paper(9)  # A4
    out.repeat_rows(HEADER_ROW)
    out.fit_to_pages(1, 0)  # one page wide, as many long as it takes
    out.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    out.freeze_panes(HEADER_ROW + 1, 0)


def xlsx_document(stem: str, block: TitleBlock, sheets: Sequence[Sheet]) -> Document:
    with tempfile.TemporaryFile() as handle:
        workbook = xlsxwriter.Workbook(handle, {"in_memory": False})
        formats = _Formats(workbook)
        for sheet in sheets:
            _write_sheet(workbook, formats, block, sheet)
        workbook.close()
        handle.seek(0)
        content = handle.read()
    return Document(stem, "xlsx", XLSX_TYPE, content)


WRITERS = {"csv": csv_document, "xlsx": xlsx_document, "pdf": paper.pdf_document}


def document(fmt: str, stem: str, block: TitleBlock, sheets: Sequence[Sheet]) -> Document:
    """The report as ``fmt`` (one of :data:`FORMATS`)."""
    return WRITERS[fmt](stem, block, sheets)


async def render(fmt: str, stem: str, block: TitleBlock, sheets: Sequence[Sheet]) -> Document:
    """:func:`document` in a worker thread: the event loop keeps serving while a long list is
    laid out."""
    return await asyncio.to_thread(document, fmt, stem, block, sheets)
