"""The periodic health-check form (Phiếu khám sức khỏe định kỳ) in the layout of Circular
32/2023/TT-BYT: the national head, the person and their card, then I. medical history,
II. physical examination, III. clinical examination by specialty, IV. paraclinical tests and
V. conclusion, each with room to write and a line for the doctor who signs.

Pre-filled: the person, the BHYT card, the beneficiary categories, the last measurements and
health class on record (the clinician compares), and the specialties booked for the day."""

from collections.abc import Sequence
from decimal import Decimal

from veteran_care.printouts.content import HealthCheckForm, Vitals
from veteran_care.printouts.document import FAMILY, Printout, fit, national_header

MARGIN = 15
PHOTO = (30, 40)
FIRST_COLUMN = 34  # the measurement table's row labels
DOTS = "." * 400
# Section III: each specialty with the points it examines (internal medicine's list is the
# Circular's), and the room it needs, in lines.
CLINICAL: Sequence[tuple[str, Sequence[str], int]] = (
    (
        "Internal medicine",
        (
            "Circulation",
            "Respiration",
            "Digestion",
            "Kidneys and urinary tract",
            "Muscles, bones and joints",
            "Nervous system",
            "Mental health",
        ),
        0,
    ),
    ("Surgery", (), 2),
    ("Obstetrics and gynaecology", (), 1),
    ("Eyes", (), 1),
    ("Ear, nose and throat", (), 1),
    ("Teeth, jaw and face", (), 1),
    ("Skin", (), 1),
)


def render(form: HealthCheckForm, language: str) -> bytes:
    pdf = Printout(language)
    pdf.set_margins(MARGIN, 12, MARGIN)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(pdf.t("Periodic health-check form"))
    pdf.add_page()
    national_header(pdf, pdf.t("Health department"), form.facility_name)
    pdf.set_font(FAMILY, "B", 15)
    pdf.cell(0, 9, pdf.t("PERIODIC HEALTH-CHECK FORM"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=7)
    pdf.cell(
        0,
        4,
        pdf.t("Form as Circular 32/2023/TT-BYT lays it out."),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _person(pdf, form)
    _history(pdf)
    _physical(pdf, form.last_vitals)
    _clinical(pdf)
    _paraclinical(pdf)
    _conclusion(pdf, form)
    return pdf.bytes()


def _field(pdf: Printout, label: str, value: str | None, width: float = 0) -> None:
    pdf.set_font(FAMILY, size=10)
    text = f"{label}: "
    pdf.cell(pdf.get_string_width(text), 6.5, text)
    pdf.set_font(FAMILY, "B", 10)
    room = (width or pdf.epw - PHOTO[0] - 4) - pdf.get_string_width(text)
    pdf.multi_cell(room, 6.5, value or _fill(pdf, "", room), new_x="LMARGIN", new_y="NEXT")


def _person(pdf: Printout, form: HealthCheckForm) -> None:
    top = pdf.get_y()
    pdf.rect(pdf.w - MARGIN - PHOTO[0], top, *PHOTO)
    pdf.set_font(FAMILY, size=8)
    pdf.set_xy(pdf.w - MARGIN - PHOTO[0], top + PHOTO[1] / 2 - 4)
    pdf.multi_cell(PHOTO[0], 4, pdf.t("Photo (4 x 6 cm)"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top)
    _field(pdf, pdf.t("Full name"), form.full_name.upper())
    _field(pdf, pdf.t("Sex"), form.sex)
    _field(pdf, pdf.t("Date of birth"), form.birth)
    _field(pdf, pdf.t("Ethnicity"), form.ethnicity)
    _field(pdf, pdf.t("CCCD number"), form.national_id)
    _field(pdf, pdf.t("Address"), form.address)
    card = form.card_number
    if card and form.card_valid:
        card += ", " + pdf.t(
            "valid {period}, registered at {facility}",
            period=form.card_valid,
            facility=form.card_facility or "",
        )
    pdf.set_y(max(pdf.get_y(), top + PHOTO[1] + 2))
    _field(pdf, pdf.t("BHYT card number"), card, pdf.epw)
    _field(pdf, pdf.t("Beneficiary categories"), "; ".join(form.categories) or None, pdf.epw)
    day = pdf.day(form.date)
    _field(pdf, pdf.t("Date of the check"), day, pdf.epw)
    if form.specialties:
        pdf.set_font(FAMILY, size=9)
        pdf.multi_cell(
            0,
            5,
            pdf.t("Booked for: {specialties}", specialties=", ".join(form.specialties)),
            new_x="LMARGIN",
            new_y="NEXT",
        )


def _fill(pdf: Printout, text: str, width: float = 0) -> str:
    """``text`` and dots up to ``width`` (the whole line by default): room to write."""
    return fit(pdf, text + DOTS, (width or pdf.epw) - 1)[:-1]


def _heading(pdf: Printout, text: str) -> None:
    pdf.ln(2)
    if pdf.will_page_break(20):
        pdf.add_page()
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)


def _dotted(pdf: Printout, label: str, lines: int = 1) -> None:
    """A label followed by dotted lines to write on."""
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(0, 6, label, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=9)
    for _ in range(lines):
        pdf.cell(0, 6, _fill(pdf, ""), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)


def _history(pdf: Printout) -> None:
    _heading(pdf, pdf.t("I. MEDICAL HISTORY"))
    _dotted(
        pdf,
        pdf.t(
            "1. Family history (heart disease, hypertension, diabetes, tuberculosis, "
            "asthma, cancer, epilepsy, mental illness, other):"
        ),
        2,
    )
    _dotted(pdf, pdf.t("2. Personal history (diseases, surgery, medicines in use):"), 2)


def _number(value: Decimal | int | None, unit: str) -> str:
    return "—" if value is None else f"{value} {unit}"


def measures(pdf: Printout, vitals: Vitals | None) -> list[tuple[str, str]]:
    v = vitals
    pressure = None
    if v is not None and v.systolic_mmhg is not None and v.diastolic_mmhg is not None:
        pressure = f"{v.systolic_mmhg}/{v.diastolic_mmhg} mmHg"
    acuity = "—"
    if v is not None and (v.visual_acuity_right or v.visual_acuity_left):
        acuity = f"{v.visual_acuity_right or '—'}/{v.visual_acuity_left or '—'}"
    return [
        (pdf.t("Height"), _number(v.height_cm if v else None, "cm")),
        (pdf.t("Weight"), _number(v.weight_kg if v else None, "kg")),
        (pdf.t("BMI"), _number(v.bmi if v else None, "")),
        (pdf.t("Pulse"), _number(v.heart_rate_bpm if v else None, pdf.t("beats/min"))),
        (pdf.t("Blood pressure"), pressure or "—"),
        (pdf.t("Blood glucose"), _number(v.glucose_mmol_l if v else None, "mmol/l")),
        (pdf.t("Visual acuity R/L"), acuity),
    ]


def _boxed(pdf: Printout, width: float, height: float, text: str, align: str = "L") -> None:
    """A bordered cell whose text, too long for one line, wraps onto a second rather than run
    past the border."""
    if pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        pdf.cell(width, height, text, border=1, align=align)
        return
    x, y = pdf.get_x(), pdf.get_y()
    pdf.rect(x, y, width, height)
    pdf.multi_cell(width, height / 2, text, align=align, new_x="RIGHT", new_y="TOP")
    pdf.set_xy(x + width, y)


def _physical(pdf: Printout, vitals: Vitals | None) -> None:
    _heading(pdf, pdf.t("II. PHYSICAL EXAMINATION"))
    found = measures(pdf, vitals)
    first = FIRST_COLUMN
    width = (pdf.epw - first) / len(found)
    pdf.set_font(FAMILY, "B", 7)
    pdf.cell(first, 7, "", border=1)
    for label, _ in found:
        _boxed(pdf, width, 7, label, align="C")
    pdf.ln(7)
    pdf.set_font(FAMILY, size=7)
    when = pdf.t("Last check ({date}):", date=pdf.day(vitals.taken_on)) if vitals else "—"
    _boxed(pdf, first, 7, when)
    pdf.set_font(FAMILY, size=7.5)  # "135/85 mmHg" on one line
    for _, value in found:
        _boxed(pdf, width, 7, value, align="C")
    pdf.ln(7)
    pdf.set_font(FAMILY, size=7)
    _boxed(pdf, first, 9, pdf.t("Today:"))
    for _ in found:
        pdf.cell(width, 9, "", border=1)
    pdf.ln(9)
    if vitals is None:
        pdf.cell(0, 5, pdf.t("No earlier measurement on record."), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)
    pdf.cell(
        0,
        7,
        _fill(pdf, pdf.t("Physical classification:") + " ", pdf.epw / 2),
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _signature_line(pdf: Printout) -> None:
    pdf.set_font(FAMILY, size=9)
    half = pdf.epw / 2
    pdf.cell(half, 6, _fill(pdf, pdf.t("Classification:") + " ", half - 10))
    pdf.cell(half, 6, pdf.t("Doctor (name, signature):"), new_x="LMARGIN", new_y="NEXT")


def _clinical(pdf: Printout) -> None:
    _heading(pdf, pdf.t("III. CLINICAL EXAMINATION"))
    for number, (specialty, points, lines) in enumerate(CLINICAL, start=1):
        if pdf.will_page_break(6 * (len(points) + lines + 3)):
            pdf.add_page()
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(0, 6.5, f"{number}. {pdf.t(specialty)}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, size=10)
        for letter, point in zip("abcdefg", points, strict=False):
            pdf.cell(
                0, 6, _fill(pdf, f"   {letter}) {pdf.t(point)}: "), new_x="LMARGIN", new_y="NEXT"
            )
        if specialty == "Eyes":
            pdf.set_font(FAMILY, size=9)
            pdf.multi_cell(
                0,
                6,
                pdf.t(
                    "Visual acuity without glasses: right eye ....... left "
                    "eye ....... ; with glasses: right eye ....... left "
                    "eye ......."
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        for _ in range(lines):
            pdf.cell(0, 6, _fill(pdf, ""), new_x="LMARGIN", new_y="NEXT")
        _signature_line(pdf)


def _paraclinical(pdf: Printout) -> None:
    _heading(pdf, pdf.t("IV. PARACLINICAL TESTS"))
    _dotted(
        pdf,
        pdf.t("1. Blood tests: blood count, glucose, urea, creatinine, ASAT (GOT), ALAT (GPT):"),
        2,
    )
    _dotted(pdf, pdf.t("2. Urine tests: glucose, protein:"), 1)
    _dotted(pdf, pdf.t("3. Imaging (ultrasound, X-ray) and electrocardiogram:"), 2)


def _conclusion(pdf: Printout, form: HealthCheckForm) -> None:
    _heading(pdf, pdf.t("V. CONCLUSION"))
    if form.last_class and form.last_class_on:
        pdf.set_font(FAMILY, size=9)
        pdf.cell(
            0,
            6,
            pdf.t(
                "Last classification: class {health_class} ({date})",
                health_class=form.last_class,
                date=pdf.day(form.last_class_on),
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    _dotted(pdf, pdf.t("Health classification (I to V):"), 1)
    _dotted(pdf, pdf.t("Diseases and conditions, if any:"), 2)
    _dotted(pdf, pdf.t("Recommendations:"), 1)
    if pdf.will_page_break(30):
        pdf.add_page()
    half = pdf.epw / 2
    pdf.ln(3)
    pdf.set_x(MARGIN + half)
    pdf.set_font(FAMILY, size=10)
    pdf.cell(half, 6, pdf.t("Date ......................."), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(half, 6, pdf.t("CONCLUDING DOCTOR"), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FAMILY, size=9)
    pdf.cell(
        half, 5, pdf.t("(signature, full name, seal)"), align="C", new_x="LMARGIN", new_y="NEXT"
    )
