"""The day list of a session: everyone booked, in order, with a column to sign; A4, the
column headings repeated on every page.

The grid is drawn with lines and ``FPDF.text`` (fpdf2's ``table()`` took 4 s for 300 rows: it
measures and wraps every cell); a value too long for its column is cut with an ellipsis."""

from veteran_care.printouts.content import DayList, DayListRow
from veteran_care.printouts.document import (
    FAMILY,
    PARTS_OF_DAY,
    Printout,
    fit,
    national_header,
)

COLUMNS = (
    ("No.", 10, "C"),
    ("Full name", 56, "L"),
    ("Year of birth", 14, "C"),
    ("Commune", 32, "L"),
    ("Category", 30, "L"),
    ("Phone", 24, "L"),
    ("Signature", 24, "C"),
)
MARGIN = 10
TABLE_WIDTH = sum(width for _, width, _ in COLUMNS)
ROW = 8
HEAD = 10
BOTTOM = 297 - 16


def render(day_list: DayList, language: str) -> bytes:
    pdf = Printout(language)
    pdf.set_margins(MARGIN, 12, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.set_title(pdf.t("Day list"))
    pdf.add_page()
    national_header(pdf, day_list.facility_name, pdf.t("Check-in desk"))
    _title(pdf, day_list)
    headings = [pdf.t(name) for name, _, _ in COLUMNS]
    top = pdf.get_y()
    y = _headings(pdf, headings, top)
    pdf.set_font(FAMILY, size=9)
    for row in day_list.rows:
        if y + ROW > BOTTOM:
            _grid(pdf, top, y)
            _footer(pdf)
            pdf.add_page()
            top = pdf.t_margin
            y = _headings(pdf, headings, top)
            pdf.set_font(FAMILY, size=9)
        _row(pdf, _cells(row), y)
        y += ROW
    _grid(pdf, top, y)
    pdf.set_font(FAMILY, size=10)
    pdf.text(MARGIN, y + 7, pdf.t("{n} people booked.", n=len(day_list.rows)))
    _footer(pdf)
    return pdf.bytes()


def _cells(row: DayListRow) -> list[str]:
    return [
        str(row.order),
        row.full_name,
        str(row.birth_year),
        row.commune or "",
        row.categories,
        row.phone or "",
        "",
    ]


def _row(pdf: Printout, cells: list[str], y: float) -> None:
    x = MARGIN
    for (_, width, align), value in zip(COLUMNS, cells, strict=True):
        if value:
            text = fit(pdf, value, width - 2)
            offset = (width - pdf.get_string_width(text)) / 2 if align == "C" else 1
            pdf.text(x + offset, y + ROW - 2.6, text)
        x += width
    pdf.line(MARGIN, y + ROW, MARGIN + TABLE_WIDTH, y + ROW)


def _grid(pdf: Printout, top: float, bottom: float) -> None:
    """The table's vertical rules, once a page is full."""
    x = MARGIN
    pdf.line(x, top, x, bottom)
    for _, width, _ in COLUMNS:
        x += width
        pdf.line(x, top, x, bottom)


def _headings(pdf: Printout, headings: list[str], y: float) -> float:
    pdf.set_font(FAMILY, "B", 8)
    pdf.set_fill_color(230)
    x = MARGIN
    for (_, width, _), heading in zip(COLUMNS, headings, strict=True):
        pdf.rect(x, y, width, HEAD, style="DF")
        lines = 1 if pdf.get_string_width(heading) < width - 2 else 2
        pdf.set_xy(x, y + (HEAD - 4 * lines) / 2)
        pdf.multi_cell(width, 4, heading, align="C")
        x += width
    return y + HEAD


def _footer(pdf: Printout) -> None:
    pdf.set_font(FAMILY, size=8)
    pdf.text(MARGIN, 297 - 8, pdf.t("Page {n}", n=pdf.page_no()))


def _title(pdf: Printout, day_list: DayList) -> None:
    pdf.set_font(FAMILY, "B", 14)
    pdf.cell(
        0, 8, pdf.t("DAY LIST OF A HEALTH-CHECK SESSION"), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(FAMILY, size=11)
    when = f"{pdf.t(PARTS_OF_DAY[day_list.part_of_day])}, {pdf.day(day_list.date)}"
    subtitle = f"{pdf.t('Specialty')}: {day_list.specialty} · {when}"
    pdf.cell(0, 7, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
