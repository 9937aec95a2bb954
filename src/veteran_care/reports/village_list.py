"""A village's worklist as the commune health worker takes it out: XLSX (the report sheets of
``reports.sheets``) and A4 PDF (the printouts' document and font), in the reader's language
(Vietnamese by default; texts of the ``reports`` catalog). A last column is left blank for what
the worker hears (decision 0053)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.kit.clock import today, utcnow
from veteran_care.kit.text import mask
from veteran_care.printouts.document import FAMILY, Printout, fit, national_header
from veteran_care.reference import repository as reference
from veteran_care.reference.service import agency_name
from veteran_care.reports.exports import Document
from veteran_care.reports.labels import made_at, made_by, text
from veteran_care.reports.layout import Column, Sheet, TitleBlock
from veteran_care.reports.sheets import xlsx_document
from veteran_care.scheduling import worklist_queries

OUTCOMES = {
    "will_come": "Will come",
    "call_later": "Call later",
    "moved_away": "Moved away",
    "deceased": "Deceased",
    "wrong_number": "Wrong number",
    "refuses": "Refuses",
    "no_answer": "No answer",
}
HEADERS = {
    "order": "No.",
    "full_name": "Full name",
    "birth_year": "Year of birth",
    "address_line": "Address",
    "phone": "Phone",
    "last_checked_on": "Last check",
    "last_attempt": "Last contact",
    "result": "Result of this contact",
}
# key, width in the PDF (mm), alignment (A4 landscape: 277 mm between the margins)
COLUMNS = (
    ("order", 9, "C"),
    ("full_name", 44, "L"),
    ("birth_year", 13, "C"),
    ("address_line", 48, "L"),
    ("phone", 24, "L"),
    ("last_checked_on", 22, "C"),
    ("last_attempt", 57, "L"),
    ("result", 60, "L"),
)
MARGIN, ROW, HEAD = 10, 8, 10
PAGE_HEIGHT = 210  # A4 landscape


@dataclass(frozen=True)
class VillageList:
    agency: str
    commune: str
    village: str | None
    made_by: str
    made_at: datetime
    rows: Sequence[Any]  # worklist rows (worklist_queries.worklist_statement)
    show_identifiers: bool


def _day(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else ""


def cells(village: VillageList, language: str) -> list[dict[str, str]]:
    found = []
    for order, row in enumerate(village.rows, start=1):
        last = ""
        if row.outcome is not None:
            outcome = text(OUTCOMES[row.outcome.value], language)
            last = f"{_day(row.attempted_at)}: {outcome}"
            if row.call_back_on is not None:
                last += f" ({row.call_back_on:%d/%m})"
        phone = row.phone if village.show_identifiers else mask(row.phone)
        found.append(
            {
                "order": str(order),
                "full_name": row.full_name,
                "birth_year": str(row.birth_year),
                "address_line": row.address_line or "",
                "phone": phone or "",
                "last_checked_on": _day(row.last_checked_on),
                "last_attempt": last,
                "result": "",
            }
        )
    return found


def _title(village: VillageList, language: str) -> str:
    if village.village:
        return text(
            "People due for a check in {village}, {commune}",
            language,
            village=village.village,
            commune=village.commune,
        )
    return text("People due for a check in {commune}", language, commune=village.commune)


def _made(village: VillageList, language: str) -> str:
    when = made_at(village.made_at)
    return text("Made on {when} by {who}", language, when=when, who=village.made_by)


def xlsx(village: VillageList, language: str) -> Document:
    block = TitleBlock(
        agency=village.agency,
        title=_title(village, language),
        period=text("Due list of {day}", language, day=made_at(village.made_at)[:10]),
        made=text(
            "Made on {when} by {who}", language, when=made_at(village.made_at), who=village.made_by
        ),
        language=language,
    )
    columns = [Column(key, text(HEADERS[key], language), "text") for key, _, _ in COLUMNS]
    sheet = Sheet(text("Worklist", language), columns, cells(village, language))
    return xlsx_document("worklist", block, [sheet])


def pdf(village: VillageList, language: str) -> bytes:
    out = Printout(language, orientation="landscape")
    out.set_margins(MARGIN, 12, MARGIN)
    out.set_auto_page_break(False)
    out.set_title(_title(village, language))
    out.add_page()
    national_header(out, village.agency, village.commune)
    out.set_font(FAMILY, "B", 13)
    out.cell(0, 8, _title(village, language), align="C", new_x="LMARGIN", new_y="NEXT")
    out.set_font(FAMILY, size=10)
    made = text(
        "Made on {when} by {who}", language, when=made_at(village.made_at), who=village.made_by
    )
    out.cell(0, 6, made, align="C", new_x="LMARGIN", new_y="NEXT")
    out.ln(2)
    headings = [text(HEADERS[key], language) for key, _, _ in COLUMNS]
    y = _headings(out, headings, out.get_y())
    for row in cells(village, language):
        if y + ROW > PAGE_HEIGHT - 14:
            out.add_page()
            y = _headings(out, headings, out.t_margin)
        _row(out, row, y)
        y += ROW
    out.set_font(FAMILY, size=10)
    out.text(MARGIN, y + 7, text("{n} people.", language, n=len(village.rows)))
    return out.bytes()


def _headings(out: Printout, headings: list[str], y: float) -> float:
    out.set_font(FAMILY, "B", 8)
    out.set_fill_color(230)
    x = MARGIN
    for (_, width, _), heading in zip(COLUMNS, headings, strict=True):
        out.rect(x, y, width, HEAD, style="DF")
        lines = 1 if out.get_string_width(heading) < width - 2 else 2
        out.set_xy(x, y + (HEAD - 4 * lines) / 2)
        out.multi_cell(width, 4, heading, align="C")
        x += width
    out.set_font(FAMILY, size=9)
    return y + HEAD


def _row(out: Printout, row: dict[str, str], y: float) -> None:
    x = MARGIN
    for key, width, align in COLUMNS:
        out.rect(x, y, width, ROW)
        if row[key]:
            text = fit(out, row[key], width - 2)
            offset = (width - out.get_string_width(text)) / 2 if align == "C" else 1
            out.text(x + offset, y + ROW - 2.6, text)
        x += width


async def gather(
    session: AsyncSession, actor: Actor, filters: worklist_queries.WorklistFilters, commune: str
) -> VillageList:
    """A village's list (the worklist's rows of a commune, of a village if named) to print;
    each person's reading audited, as for any printout."""
    principal = actor.require()
    rows = await worklist_queries.worklist_rows(session, today(), filters)
    place = await reference.commune(session, commune)
    await audit.record_many(
        session,
        actor,
        "read",
        [
            {
                "resource_type": "village_list",
                "beneficiary_id": row.id,
                "detail": f"printed: village_list {commune}",
            }
            for row in rows
        ],
    )
    return VillageList(
        agency=await agency_name(session),
        commune=place.name if place is not None else commune,
        village=filters.village,
        made_by=await made_by(session, principal.account_id, principal.login),
        made_at=utcnow(),
        rows=rows,
        show_identifiers=principal.sees_identifiers,
    )
