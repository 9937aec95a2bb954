"""The appointment slip: two per A4 sheet, one on each A5 half, with a cut line between.

Text is set with ``FPDF.text`` at computed positions (a tenth of a ``cell``'s cost): a
campaign's slips come in hundreds at once."""

from collections.abc import Sequence

from veteran_care.printouts.content import Slip
from veteran_care.printouts.document import FAMILY, PARTS_OF_DAY, Printout, fit

HALF = 297 / 2
MARGIN = 12
QR_SIZE = 36
LABEL_WIDTH = 34
LINE = 7.5
BRING = ("Citizen identity card (CCCD)", "Health-insurance card (BHYT)", "Your last test results")


def render(slips: Sequence[Slip], language: str) -> bytes:
    """Every slip in one file, in the order given."""
    pdf = Printout(language)
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(pdf.t("Appointment slip"))
    for index, slip in enumerate(slips):
        if index % 2 == 0:
            pdf.add_page()
            _cut_line(pdf)
        _slip(pdf, slip, top=(index % 2) * HALF)
    if not slips:
        pdf.add_page()
    return pdf.bytes()


def _cut_line(pdf: Printout) -> None:
    pdf.set_draw_color(150)
    with pdf.local_context(dash_pattern={"dash": 2, "gap": 2}):
        pdf.line(0, HALF, pdf.w, HALF)
    pdf.set_draw_color(0)


def _lines(pdf: Printout, slip: Slip) -> list[tuple[str, str, bool]]:
    when = pdf.day(slip.date)
    if slip.part_of_day:
        when = f"{pdf.t(PARTS_OF_DAY[slip.part_of_day])}, {when}"
    place = slip.facility_name + (f", {slip.facility_address}" if slip.facility_address else "")
    if slip.venue:  # a visiting team of the facility, at a commune hall or a school
        place = slip.venue
    lines = [(pdf.t("Full name"), slip.full_name, True)]
    lines.append((pdf.t("Year of birth"), str(slip.birth_year), False))
    if slip.national_id:
        lines.append((pdf.t("CCCD"), slip.national_id, False))
    if slip.card_number:
        lines.append((pdf.t("BHYT card"), slip.card_number, False))
    lines.append((pdf.t("Date"), when, True))
    lines.append((pdf.t("Place"), place, False))
    lines.append((pdf.t("Specialties"), ", ".join(slip.specialties), False))
    return lines


def _slip(pdf: Printout, slip: Slip, top: float) -> None:
    left = MARGIN
    width = pdf.w - 2 * MARGIN - QR_SIZE - 4
    y = top + MARGIN + 4
    pdf.set_font(FAMILY, size=9)
    pdf.text(left, y, fit(pdf, slip.facility_name.upper(), width))
    pdf.set_font(FAMILY, "B", 14)
    y += 8
    pdf.text(left, y, pdf.t("APPOINTMENT SLIP FOR A HEALTH CHECK"))
    if slip.campaign_name:
        pdf.set_font(FAMILY, size=9)
        y += 5.5
        pdf.text(left, y, fit(pdf, slip.campaign_name, width))
    y += 4
    value_width = pdf.w - 2 * MARGIN - LABEL_WIDTH
    for number, (label, value, bold) in enumerate(_lines(pdf, slip)):
        y += LINE
        pdf.set_font(FAMILY, size=11)
        pdf.text(left, y, f"{label}:")
        pdf.set_font(FAMILY, "B" if bold else "", 13 if bold else 11)
        room = (width if number < 4 else value_width) - LABEL_WIDTH
        pdf.text(left + LABEL_WIDTH, y, fit(pdf, value, room))
    y += LINE + 2
    pdf.set_font(FAMILY, "B", 11)
    pdf.text(left, y, pdf.t("Please bring:"))
    pdf.set_font(FAMILY, size=11)
    for item in BRING:
        y += 6
        pdf.text(left + 4, y, f"- {pdf.t(item)}")
    pdf.set_font(FAMILY, size=8)
    pdf.text(
        left,
        top + HALF - MARGIN,
        pdf.t("Show this slip at the check-in desk: its code is scanned."),
    )
    pdf.qr(slip.token, pdf.w - MARGIN - QR_SIZE, top + MARGIN, QR_SIZE)
