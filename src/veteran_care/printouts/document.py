"""The PDF every printout starts from: fpdf2 with DejaVu Sans (full Vietnamese coverage, shipped
beside this module with its licence), the catalog of the ``printouts`` domain, and the QR code.

fpdf2 embeds only the glyphs a document uses, so a file stays small whatever the font's size.
"""

from datetime import date
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from PIL import Image, ImageOps

from veteran_care.kit.i18n import translate

FAMILY = "DejaVu"
DOMAIN = "printouts"
# segno's matrix holds 1 for a dark module, 0 for a light one.
_MODULE_TO_GREY = bytes([255, 0] + [0] * 254)
PARTS_OF_DAY = {"morning": "Morning", "afternoon": "Afternoon"}
SEXES = {"male": "Male", "female": "Female", "other": "Other", "unknown": "Unknown"}


@cache
def _font_path(name: str) -> Path:
    """The font file on disk (fpdf2 reads a path; a zipped install is unpacked once)."""
    with as_file(files(__package__) / "fonts" / name) as path:
        return Path(path)


class Printout(FPDF):
    """A page layout in one language, with the house font and a QR code drawer."""

    def __init__(self, language: str, *, format: str = "A4", orientation: str = "portrait"):
        super().__init__(orientation=orientation, unit="mm", format=format)
        self.language = language
        self.add_font(FAMILY, "", str(_font_path("DejaVuSans.ttf")))
        self.add_font(FAMILY, "B", str(_font_path("DejaVuSans-Bold.ttf")))
        self.set_font(FAMILY, size=10)
        self.set_creator("Veteran Care")
        self.set_lang(language)

    def t(self, message: str, **values: Any) -> str:
        """``message`` (an English id of the ``printouts`` catalog) in the printout's language."""
        return translate(message, self.language, DOMAIN, **values)

    def day(self, value: date) -> str:
        return value.strftime("%d/%m/%Y")

    def qr(self, data: str, x: float, y: float, size: float) -> None:
        """A QR code of ``data``, ``size`` mm wide, its top left corner at (x, y)."""
        self.image(qr_image(data), x=x, y=y, w=size, h=size)

    def bytes(self) -> bytes:
        return bytes(self.output())


def qr_image(data: str) -> Image.Image:
    """A QR code of ``data`` as a one-pixel-per-module image (with the quiet zone). The mask is
    fixed: choosing the best of eight took 30 ms a code, and any mask scans."""
    code = segno.make_qr(data, error="m", mask=0, boost_error=False)
    size = len(code.matrix)
    pixels = b"".join(bytes(row) for row in code.matrix).translate(_MODULE_TO_GREY)
    return ImageOps.expand(Image.frombytes("L", (size, size), pixels), border=4, fill=255)


def fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def national_header(pdf: Printout, left_top: str, left_bottom: str) -> None:
    """The two-column head of an official paper: the issuing body on the left, the national
    motto on the right (as every form of the Ministry of Health starts)."""
    width = pdf.epw / 2
    top = pdf.get_y()
    right = pdf.l_margin + width
    pdf.set_font(FAMILY, size=9)
    pdf.multi_cell(width, 4.5, left_top.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 9)
    pdf.multi_cell(width, 4.5, left_bottom.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    pdf.set_xy(right, top)
    pdf.multi_cell(
        width, 4.5, pdf.t("SOCIALIST REPUBLIC OF VIETNAM"), align="C", new_x="LEFT", new_y="NEXT"
    )
    pdf.multi_cell(
        width,
        4.5,
        pdf.t("Independence - Freedom - Happiness"),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_y(max(bottom, pdf.get_y()) + 4)
    pdf.set_font(FAMILY, size=10)
