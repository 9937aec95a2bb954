"""A report as PDF, from the same sheets the XLSX is written from: A4 landscape, the title block
on the first page of each sheet, the header row repeated on every page, the totals row in bold
under a heavy rule, the notes below; numbers as the reader's language writes them (``1.234`` and
``75,0`` in Vietnamese, ``1,234`` and ``75.0`` in English; rates under a header that says
``(%)``, as in the CSV).

The printouts' document (fpdf2, DejaVu Sans: :mod:`veteran_care.printouts.document`). As the day
list does, rows are set with ``FPDF.text`` at computed positions and the grid drawn as lines (a
long list stays fast); a value too long for its column is cut with an ellipsis. Columns are as
wide as what they hold, stretched to the page's width, text columns narrowed first when the
figures do not fit."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from veteran_care.printouts.document import FAMILY, Printout, fit
from veteran_care.reports.exports import PDF_TYPE, Document
from veteran_care.reports.layout import Kind, Sheet, TitleBlock, plain

PAGE_HEIGHT = 210
MARGIN = 10.0
BOTTOM = PAGE_HEIGHT - 14
ROW = 6.5
BODY = 8
HEAD = 7.5
HEAD_LINE = 3.4
PAD = 1.2
NARROWEST_TEXT = 28
SAMPLED = 8  # the longest values (by characters) measured per column


class _Paper(Printout):
    """A report's pages: its title and the page number at the foot of each."""

    def __init__(self, block: TitleBlock) -> None:
        super().__init__(block.language, orientation="landscape")
        self.block = block
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        self.set_title(block.title)

    def footer(self) -> None:
        self.set_font(FAMILY, size=7)
        self.text(
            MARGIN, PAGE_HEIGHT - 6, f"{self.block.title} · {self.t('Page {n}', n=self.page_no())}"
        )


def number(value: Any, kind: Kind, language: str) -> str:
    """A figure as ``language`` writes it: thousands grouped, rates with one decimal."""
    if value is None or value == "":
        return ""
    if kind == "text" or not isinstance(value, int | float | Decimal):
        return str(plain(value))
    if kind == "rate":
        written = f"{float(value):,.1f}"
    elif value == int(value):
        written = f"{int(value):,}"
    else:
        written = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    if language == "vi":
        written = written.translate(str.maketrans(",.", ".,"))
    return written


def _cells(sheet: Sheet, row: Mapping[str, Any], language: str, first: str | None) -> list[str]:
    cells = [number(row.get(c.key), c.kind, language) for c in sheet.columns]
    if first is not None:
        cells[0] = first
    return cells


def _wrap(pdf: Printout, text: str, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (a word too long is cut)."""
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and pdf.get_string_width(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(fit(pdf, word, width))
    return lines or [""]


def _needs(pdf: Printout, sheet: Sheet, body: Sequence[list[str]]) -> list[float]:
    """Each column's natural width: its longest value, or its header's longest word."""
    needs = []
    for index, column in enumerate(sheet.columns):
        values = sorted((row[index] for row in body), key=len, reverse=True)[:SAMPLED]
        pdf.set_font(FAMILY, size=BODY)
        widest = max((pdf.get_string_width(v) for v in values), default=0.0)
        pdf.set_font(FAMILY, "B", HEAD)
        word = max((pdf.get_string_width(w) for w in column.header.split()), default=0.0)
        needs.append(max(widest, word, 8.0) + 2 * PAD)
    return needs


def widths(pdf: Printout, sheet: Sheet, body: Sequence[list[str]]) -> list[float]:
    """Column widths that fill the page: natural widths stretched; when they are too wide, the
    text columns narrowed first (down to :data:`NARROWEST_TEXT`), then every column."""
    needs = _needs(pdf, sheet, body)
    room = pdf.epw
    over = sum(needs) - room
    if over > 0:
        slack = [
            max(need - NARROWEST_TEXT, 0.0) if column.kind == "text" else 0.0
            for need, column in zip(needs, sheet.columns, strict=True)
        ]
        share = min(over / sum(slack), 1.0) if sum(slack) else 0.0
        needs = [need - s * share for need, s in zip(needs, slack, strict=True)]
    return [need * room / sum(needs) for need in needs]


class _Table:
    """One sheet's grid on the pages: header row, rows, totals, vertical rules per page."""

    def __init__(self, pdf: Printout, sheet: Sheet, body: Sequence[list[str]]) -> None:
        self.pdf = pdf
        self.sheet = sheet
        self.widths = widths(pdf, sheet, body)
        pdf.set_font(FAMILY, "B", HEAD)
        self.headers = [
            _wrap(pdf, column.header, width - 2 * PAD)
            for column, width in zip(sheet.columns, self.widths, strict=True)
        ]
        self.head = max(len(lines) for lines in self.headers) * HEAD_LINE + 2.4
        self.top = 0.0
        self.y = 0.0

    def start(self, y: float) -> None:
        pdf = self.pdf
        self.top = y
        pdf.set_font(FAMILY, "B", HEAD)
        pdf.set_fill_color(221, 235, 247)  # as the XLSX's header cells
        x = MARGIN
        for width, lines in zip(self.widths, self.headers, strict=True):
            pdf.rect(x, y, width, self.head, style="DF")
            first = y + (self.head - len(lines) * HEAD_LINE) / 2 + HEAD_LINE - 0.8
            for number_, line in enumerate(lines):
                offset = (width - pdf.get_string_width(line)) / 2
                pdf.text(x + offset, first + number_ * HEAD_LINE, line)
            x += width
        self.y = y + self.head

    def _room(self) -> None:
        if self.y + ROW > BOTTOM:
            self.close()
            self.pdf.add_page()
            self.start(self.pdf.t_margin)

    def row(self, cells: list[str], bold: bool = False) -> None:
        self._room()
        pdf = self.pdf
        pdf.set_font(FAMILY, "B" if bold else "", BODY)
        x = MARGIN
        for column, width, value in zip(self.sheet.columns, self.widths, cells, strict=True):
            if value:
                text = fit(pdf, value, width - 2 * PAD)
                right = column.kind not in ("text", "date") and not (bold and x == MARGIN)
                offset = width - PAD - pdf.get_string_width(text) if right else PAD
                pdf.text(x + offset, self.y + ROW - 2, text)
            x += width
        if bold:
            pdf.set_line_width(0.6)
            pdf.line(MARGIN, self.y, MARGIN + pdf.epw, self.y)
            pdf.set_line_width(0.2)
        self.y += ROW
        pdf.line(MARGIN, self.y, MARGIN + pdf.epw, self.y)

    def close(self) -> None:
        """The vertical rules of the part of the table on this page."""
        x = MARGIN
        self.pdf.line(x, self.top, x, self.y)
        for width in self.widths:
            x += width
            self.pdf.line(x, self.top, x, self.y)


def _title_block(pdf: Printout, block: TitleBlock, sheet_name: str | None) -> None:
    pdf.set_font(FAMILY, "B", 10)
    pdf.multi_cell(0, 5, block.agency, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", 14)
    pdf.multi_cell(0, 7, block.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(0, 5, block.period, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, block.made, align="C", new_x="LMARGIN", new_y="NEXT")
    if sheet_name:
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 11)
        pdf.multi_cell(0, 6, sheet_name, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _notes(pdf: Printout, notes: Sequence[str], y: float) -> None:
    pdf.set_font(FAMILY, size=8)
    pdf.set_xy(MARGIN, y + 2)
    for note in notes:
        if pdf.get_y() + 4 > BOTTOM:
            pdf.add_page()
            pdf.set_font(FAMILY, size=8)
        pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")


def _sheet(pdf: Printout, block: TitleBlock, sheet: Sheet, named: bool) -> None:
    pdf.add_page()
    _title_block(pdf, block, sheet.name if named else None)
    language = block.language
    body = [_cells(sheet, row, language, None) for row in sheet.rows]
    total = None
    if sheet.total is not None:
        total = _cells(sheet, sheet.total, language, sheet.total_label)
    table = _Table(pdf, sheet, [*body, *([total] if total else [])])
    table.start(pdf.get_y())
    for cells in body:
        table.row(cells)
    if total is not None:
        table.row(total, bold=True)
    table.close()
    if sheet.notes:
        _notes(pdf, sheet.notes, table.y)


def pdf_document(stem: str, block: TitleBlock, sheets: Sequence[Sheet]) -> Document:
    """The report as a PDF: each sheet from a new page (named when there are several)."""
    pdf = _Paper(block)
    for sheet in sheets:
        _sheet(pdf, block, sheet, named=len(sheets) > 1)
    return Document(stem, "pdf", PDF_TYPE, pdf.bytes())
