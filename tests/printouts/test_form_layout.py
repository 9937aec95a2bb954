"""The health-check form's measurement table: every label stays inside its cell, in both
languages (a label too long for one line wraps onto a second)."""

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from veteran_care.printouts import form
from veteran_care.printouts.content import HealthCheckForm, Vitals
from veteran_care.printouts.document import FAMILY, Printout

MM = 72 / 25.4  # points in a millimetre
VITALS = Vitals(
    date(2025, 7, 27),
    systolic_mmhg=135,
    diastolic_mmhg=85,
    heart_rate_bpm=72,
    weight_kg=Decimal("58.5"),
    height_cm=Decimal("162.0"),
    bmi=Decimal("22.3"),
    glucose_mmol_l=Decimal("5.6"),
    visual_acuity_left=Decimal("0.8"),
    visual_acuity_right=Decimal("0.9"),
)
FORM = HealthCheckForm(
    facility_name="Bệnh viện Đa khoa tỉnh Điện Biên",
    full_name="Lò Văn Pọm",
    sex="Nam",
    birth="1948",
    ethnicity="Thái",
    national_id="001048000123",
    address="Xã Mường Phăng",
    card_number="DN4111234567890",
    card_valid="01/01/2026 - 31/12/2026",
    card_facility="11001",
    categories=["Thương binh (61%)"],
    date=date(2026, 12, 8),
    specialties=["Siêu âm"],
    last_vitals=VITALS,
    last_class="II",
    last_class_on=date(2025, 7, 27),
)


def _table_labels(language: str) -> list[tuple[str, float]]:
    """The 7-point texts of the first page (the measurement table's labels): text and x, mm."""
    found: list[tuple[str, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip() and round(size) == 7:
            found.append((text.strip(), (tm[4] * cm[0] + cm[4]) / MM))

    page = PdfReader(io.BytesIO(form.render(FORM, language))).pages[0]
    page.extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_measurement_labels_stay_in_their_cells(language: str) -> None:
    measure = Printout(language)
    measure.set_margins(form.MARGIN, form.MARGIN)
    first = form.MARGIN + form.FIRST_COLUMN
    width = (measure.epw - form.FIRST_COLUMN) / 7
    labels = [text for text, _ in form.measures(measure, VITALS)]
    labels += [measure.t("Last check ({date}):", date="27/07/2025"), measure.t("Today:")]
    checked = 0
    for text, x in _table_labels(language):
        if not any(text in label for label in labels):
            continue
        bold = text in " ".join(labels[:-2])
        measure.set_font(FAMILY, "B" if bold else "", 7)
        right = first if x < first else first + width * (1 + int((x - first) // width))
        assert x + measure.get_string_width(text) <= right + 0.1, (text, language)
        checked += 1
    assert checked >= len(labels)
    measure.add_page()
    measure.bytes()  # fpdf2 lets go of its font files once it has written the document
