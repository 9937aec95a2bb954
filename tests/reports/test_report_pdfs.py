"""The department's reports as PDF, read back as text: the title block, the headers in the
reader's language, the rows and the totals of the JSON report; a long list across pages with
its header row on each."""

import io
from datetime import datetime

import httpx
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.reports.test_officer_files import (
    AGENCY,
    ATTENDANCE_FIGURES,
    ATTENDANCE_HEADERS,
    YEARLY_FIGURES,
    YEARLY_HEADERS,
)
from tests.scheduling.conftest import day
from veteran_care.kit.clock import today
from veteran_care.models import AuditEvent
from veteran_care.reports import paper
from veteran_care.reports.layout import Column, Sheet, TitleBlock

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
VIETNAMESE = {"Accept-Language": "vi"}


def _pages(response: httpx.Response) -> list[str]:
    """Each page's text, its lines' spaces made single (a header may wrap in its cell)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert ".pdf" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    assert round(float(reader.pages[0].mediabox.width) / 72 * 25.4) == 297  # A4
    return [page.extract_text() for page in reader.pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _figures_after(text: str, label: str, language: str) -> list[float]:
    """The numbers on the line that starts with ``label`` (the totals row), as numbers."""
    line = next(line for line in text.splitlines() if line.strip().startswith(label))
    words = line.strip().removeprefix(label).split()
    thousands, decimal = (".", ",") if language == "vi" else (",", ".")
    return [float(w.replace(thousands, "").replace(decimal, ".")) for w in words]


async def test_the_yearly_summary_as_a_pdf(client, year_of_checks, session: AsyncSession) -> None:
    year = today().year
    params = {"year": year}
    body = (await client.get("/api/v1/reports/yearly-checks", params=params)).json()
    response = await client.get(
        "/api/v1/reports/yearly-checks", params={**params, "format": "pdf"}, headers=VIETNAMESE
    )
    pages = _pages(response)
    assert len(pages) == 2  # a page per breakdown
    first = _flat(pages[0])
    assert first.startswith(AGENCY)
    assert "Báo cáo tổng hợp kết quả khám sức khỏe định kỳ người có công với cách mạng" in first
    assert f"Kỳ báo cáo: năm {year}" in first
    assert "người lập: Nhân viên Thử nghiệm (admin-" in first
    assert "Theo đối tượng" in first
    assert "Theo xã, phường" in _flat(pages[1])
    assert " ".join(["Đối tượng", "Mã đối tượng", *YEARLY_HEADERS]) in first
    assert " ".join(["Xã, phường", "Mã xã", *YEARLY_HEADERS]) in _flat(pages[1])
    want = [float(body["total"][f]) for f in YEARLY_FIGURES]
    for page in pages:
        assert _figures_after(page, "Tổng cộng", "vi") == want
    for row in body["by_commune"]:
        assert f"{row['commune_name']} {row['commune']}" in _flat(pages[1])
    audited = await session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "export"))
    assert "yearly-checks as pdf" in list(audited)


async def test_the_attendance_report_as_a_pdf_in_both_languages(client, dataset) -> None:
    params = {"group_by": "category", "date_from": day(0), "date_to": day(5)}
    body = (await client.get("/api/v1/reports/attendance", params=params)).json()
    total = body["total"]
    assert total["attendance_rate"] is not None
    as_pdf = {**params, "format": "pdf"}
    text = _pages(await client.get("/api/v1/reports/attendance", params=as_pdf))[0]
    flat = _flat(text)  # Vietnamese: the deployment's default
    assert "Báo cáo tình hình đến khám sức khỏe định kỳ" in flat
    assert " ".join(["Đối tượng", "Mã đối tượng", *ATTENDANCE_HEADERS]) in flat
    for row in body["rows"]:
        assert row["category_name"] in flat
    want = [float(total[f]) for f in ATTENDANCE_FIGURES]
    assert _figures_after(text, "Tổng cộng", "vi") == want
    assert f"{total['attendance_rate']:.1f}".replace(".", ",") in text.splitlines()[-2]

    english = await client.get("/api/v1/reports/attendance", params=as_pdf, headers=ENGLISH)
    text = _pages(english)[0]
    flat = _flat(text)
    assert "Attendance at periodic health checks" in flat
    assert "Category Category code Checkups booked Attended" in flat
    assert "Attendance rate (%)" in flat
    assert "Tổng cộng" not in flat
    assert "Đối tượng" not in flat
    assert _figures_after(text, "Total", "en") == want


async def test_the_accept_header_asks_for_a_pdf(client, dataset) -> None:
    body = (await client.get("/api/v1/reports/card-coverage")).json()
    asked = {"Accept": "application/pdf"}
    text = _pages(await client.get("/api/v1/reports/card-coverage", headers=asked))[0]
    assert "Báo cáo tình hình thẻ bảo hiểm y tế" in text
    figures = " ".join(str(body["rows"][0][key]) for key in body["figures"])
    assert figures in text.splitlines()


def _long_sheet(rows: int) -> Sheet:
    columns = [
        Column("name", "Họ và tên", "text"),
        Column("count", "Số lượt hẹn khám", "count"),
        Column("rate", "Tỷ lệ đến khám (%)", "rate"),
    ]
    return Sheet(
        name="Báo cáo",
        columns=columns,
        rows=[{"name": f"Người số {n}", "count": 1000 + n, "rate": 62.5} for n in range(rows)],
        total={"count": sum(1000 + n for n in range(rows)), "rate": 62.5},
        total_label="Tổng cộng",
    )


def test_a_long_table_runs_across_pages_with_its_header_on_each() -> None:
    block = TitleBlock("Sở Nội vụ", "Báo cáo dài", "Kỳ báo cáo: năm 2026", "Lập lúc ...", "vi")
    document = paper.pdf_document("long", block, [_long_sheet(120)])
    assert (document.extension, document.media_type) == ("pdf", "application/pdf")
    assert isinstance(document.content, bytes)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(document.content)).pages]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "Họ và tên Số lượt hẹn khám Tỷ lệ đến khám (%)" in _flat(page)
        assert f"Trang {number}" in page
    assert "Báo cáo dài" in pages[0]
    assert "Báo cáo dài" in pages[1]
    assert "Sở Nội vụ" in pages[0]
    assert "Sở Nội vụ" not in pages[1]
    every = "\n".join(pages)
    assert [f"Người số {n}" in every for n in range(120)] == [True] * 120
    assert "1.119 62,5" in every  # Vietnamese thousands and decimals
    assert _figures_after(pages[-1], "Tổng cộng", "vi") == [sum(range(1000, 1120)), 62.5]
    assert "Tổng cộng" not in "".join(pages[:-1])


def test_numbers_as_each_language_writes_them() -> None:
    assert paper.number(1234567, "count", "vi") == "1.234.567"
    assert paper.number(1234567, "count", "en") == "1,234,567"
    assert paper.number(75.0, "rate", "vi") == "75,0"
    assert paper.number(1234.5, "number", "en") == "1,234.5"
    assert paper.number(None, "rate", "vi") == ""
    assert (
        paper.number(datetime(2026, 1, 2).date(), "text", "vi") == "02/01/2026"
    )  # as the officer writes a day
