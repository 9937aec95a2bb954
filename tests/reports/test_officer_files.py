"""The files an officer hands in: the yearly summary and the attendance report as XLSX and CSV,
read back with openpyxl and the csv module, against the JSON report and an independent count."""

import csv
import io
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.scheduling.conftest import day
from veteran_care.config import Settings
from veteran_care.kit.clock import today
from veteran_care.models import CheckupConclusion, HealthClass, Role

AGENCY = "Sở Nội vụ tỉnh Điện Biên"
YEARLY_FIGURES = [
    "registry",
    "due",
    "examined",
    "class_I",
    "class_II",
    "class_III",
    "class_IV",
    "class_V",
    "referred",
    "medicine_people",
    "dispenses",
    "quantity",
]
YEARLY_HEADERS = [
    "Số người đang quản lý",
    "Đến hạn khám trong năm",
    "Đã khám",
    "Loại I (rất khỏe)",
    "Loại II (khỏe)",
    "Loại III (trung bình)",
    "Loại IV (yếu)",
    "Loại V (rất yếu)",
    "Chuyển điều trị",
    "Số người được cấp thuốc",
    "Số lượt cấp thuốc",
    "Số lượng thuốc đã cấp",
]
# Index into the dataset's people -> (health class, follow-up named) of their conclusion.
CONCLUSIONS = {0: ("I", False), 1: ("III", True), 6: ("IV", True)}
DISPENSES = [(0, "PARA500", 10), (0, "IBUP400", 4), (3, "PARA500", 6)]


async def _dispense(client_for: Any, facility: dict[str, Any], plan: list[Any]) -> None:
    pharmacist = await client_for(
        Role.pharmacist, province_wide=False, facility_ids=[facility["id"]]
    )
    listed = await pharmacist.get("/api/v1/medicines", params={"limit": 200})
    meds = {m["code"]: m for m in listed.json()["items"]}
    for code in {code for _, code, _ in plan}:
        receipt = await pharmacist.post(
            f"/api/v1/facilities/{facility['id']}/stock/receipts",
            json={
                "medicine_id": meds[code]["id"],
                "lot_number": f"{code}-1",
                "expiry_date": (today() + timedelta(days=300)).isoformat(),
                "quantity": 100,
                "supplier": "X",
            },
        )
        assert receipt.status_code == 201, receipt.text
    for person, code, quantity in plan:
        response = await pharmacist.post(
            "/api/v1/dispenses",
            json={
                "beneficiary_id": person["id"],
                "facility_id": facility["id"],
                "medicine_id": meds[code]["id"],
                "quantity": quantity,
                "dosage_instructions": "ngày 2 lần",
            },
        )
        assert response.status_code == 201, response.text


@pytest.fixture
async def year_of_checks(
    dataset: dict[str, Any],
    session: AsyncSession,
    client_for: Any,
) -> dict[str, Any]:
    people = dataset["people"]
    for index, (health_class, referred) in CONCLUSIONS.items():
        _case, person, checkup = people[index]
        session.add(
            CheckupConclusion(
                checkup_id=uuid.UUID(checkup["id"]),
                beneficiary_id=uuid.UUID(person["id"]),
                health_class=HealthClass(health_class),
                conclusion="Sức khỏe ổn định",
                follow_up_on=date.fromisoformat(day(30)) if referred else None,
            )
        )
    await session.commit()
    plan = [(people[index][1], code, quantity) for index, code, quantity in DISPENSES]
    await _dispense(client_for, dataset["clinic"], plan)
    return dataset


def expected_yearly(data: dict[str, Any], group: str, year: int) -> dict[str, Counter[str]]:
    """The summary counted by hand from the cases, the conclusions and the dispenses."""
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    given: dict[int, list[int]] = defaultdict(list)
    for index, _code, quantity in DISPENSES:
        given[index].append(quantity)
    for index, (case, _person, checkup) in enumerate(data["people"]):
        keys = [case.commune] if group == "commune" else [c["code"] for c in case.categories]
        in_year = date.fromisoformat(checkup["date"]).year == year
        attended = case.outcome in ("attended", "attended-partly") and in_year
        for key in keys if group != "total" else ["total"]:
            row = figures[key]
            row["registry"] += 1
            row["due"] += 1  # nobody was checked before the year began
            row["examined"] += attended
            if index in CONCLUSIONS and in_year:
                health_class, referred = CONCLUSIONS[index]
                row[f"class_{health_class}"] += 1
                row["referred"] += referred
            row["medicine_people"] += bool(given[index])
            row["dispenses"] += len(given[index])
            row["quantity"] += sum(given[index])
    return figures


def _figures(row: dict[str, Any]) -> dict[str, int]:
    return {name: row[name] for name in YEARLY_FIGURES}


async def _yearly(
    client: httpx.AsyncClient, year: int, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    response = await client.get(
        "/api/v1/reports/yearly-checks", params={"year": year, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def test_the_yearly_summary_matches_a_count_by_hand(client, year_of_checks) -> None:
    year = today().year
    body = (await _yearly(client, year)).json()
    for group, rows in (("commune", body["by_commune"]), ("category", body["by_category"])):
        want = expected_yearly(year_of_checks, group, year)
        got = {row[group]: _figures(row) for row in rows}
        assert got == {key: {f: counts[f] for f in YEARLY_FIGURES} for key, counts in want.items()}
    total = expected_yearly(year_of_checks, "total", year)["total"]
    assert _figures(body["total"]) == {f: total[f] for f in YEARLY_FIGURES}
    names = {row["commune"]: row["commune_name"] for row in body["by_commune"]}
    assert names["03127"] == "Phường Điện Biên Phủ"
    categories = {row["category"]: row["category_name"] for row in body["by_category"]}
    assert categories["sick-soldier"] == "Bệnh binh"


def _sheet_rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_the_yearly_summary_as_an_xlsx_an_officer_files(
    client, year_of_checks, settings: Settings
) -> None:
    year = today().year
    body = (await _yearly(client, year)).json()
    response = await _yearly(client, year, format="xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Theo đối tượng", "Theo xã, phường"]
    for sheet, group, rows in (
        (workbook["Theo đối tượng"], "category", body["by_category"]),
        (workbook["Theo xã, phường"], "commune", body["by_commune"]),
    ):
        lines = _sheet_rows(sheet)
        assert lines[0][0] == AGENCY  # the first province's Sở Nội vụ, by default
        assert lines[1][0] == (
            "Báo cáo tổng hợp kết quả khám sức khỏe định kỳ người có công với cách mạng"
        )
        assert lines[2][0] == f"Kỳ báo cáo: năm {year}"
        assert lines[3][0].startswith("Lập lúc ")
        assert ", người lập: Nhân viên Thử nghiệm (admin-" in lines[3][0]
        name, code = (
            ("Đối tượng", "Mã đối tượng") if group == "category" else ("Xã, phường", "Mã xã")
        )
        assert lines[5] == [name, code, *YEARLY_HEADERS]
        table = lines[6 : 6 + len(rows)]
        assert [line[1] for line in table] == [row[group] for row in rows]
        assert [line[0] for line in table] == [row[f"{group}_name"] for row in rows]
        assert [line[2:] for line in table] == [list(_figures(row).values()) for row in rows]
        totals = lines[6 + len(rows)]
        assert totals[0] == "Tổng cộng"
        assert totals[2:] == list(_figures(body["total"]).values())
        # Ready to print: A4 landscape, the header row on every page.
        assert sheet.page_setup.orientation == "landscape"
        assert str(sheet.page_setup.paperSize) == "9"
        assert sheet.print_title_rows == "$6:$6"
        assert sheet.column_dimensions["A"].width >= len("Phường Điện Biên Phủ")


def _csv_lines(response: httpx.Response) -> list[list[str]]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_the_yearly_summary_as_a_csv(client, year_of_checks) -> None:
    year = today().year
    body = (await _yearly(client, year)).json()
    asked = {"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.8"}
    lines = _csv_lines(await _yearly(client, year, asked, format="csv"))
    assert lines[0] == [AGENCY]
    assert lines[2] == [f"Kỳ báo cáo: năm {year}"]
    assert lines[4:7] == [[], ["Theo đối tượng"], ["Đối tượng", "Mã đối tượng", *YEARLY_HEADERS]]
    rows = body["by_category"]
    table = lines[7 : 7 + len(rows)]
    assert [line[1] for line in table] == [row["category"] for row in rows]
    assert [[int(v) for v in line[2:]] for line in table] == [
        list(_figures(row).values()) for row in rows
    ]
    totals = lines[7 + len(rows)]
    assert totals[0] == "Tổng cộng"
    assert [int(v) for v in totals[2:]] == list(_figures(body["total"]).values())
    second = lines.index(["Theo xã, phường"])
    assert lines[second + 1][:2] == ["Xã, phường", "Mã xã"]


ATTENDANCE_HEADERS = [
    "Số lượt hẹn khám",
    "Đến khám",
    "Vắng mặt",
    "Hủy do người được khám",
    "Hủy do cơ sở khám",
    "Chưa đến ngày khám",
    "Tỷ lệ đến khám (%)",
]
ATTENDANCE_FIGURES = [
    "booked",
    "attended",
    "noshow",
    "cancelled_by_patient",
    "cancelled_by_facility",
    "pending",
    "attendance_rate",
]


async def test_the_attendance_report_as_xlsx_and_csv(client, dataset) -> None:
    params = {"group_by": "category", "date_from": day(0), "date_to": day(5)}
    body = (await client.get("/api/v1/reports/attendance", params=params)).json()
    rows = body["rows"]
    assert sum(row["booked"] for row in rows) > body["total"]["booked"]  # two categories
    xlsx = await client.get("/api/v1/reports/attendance", params={**params, "format": "xlsx"})
    lines = _sheet_rows(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active)
    assert lines[0][0] == AGENCY
    assert lines[1][0] == "Báo cáo tình hình đến khám sức khỏe định kỳ"
    assert (
        lines[2][0]
        == f"Kỳ báo cáo: từ {today():%d/%m/%Y} đến {date.fromisoformat(day(5)):%d/%m/%Y}"
    )
    assert lines[5] == ["Đối tượng", "Mã đối tượng", *ATTENDANCE_HEADERS]
    table = lines[6 : 6 + len(rows)]
    assert [line[0] for line in table] == [row["category_name"] for row in rows]
    assert "Không thuộc đối tượng nào" not in [line[0] for line in table]  # all have one
    for line, row in zip(table, rows, strict=True):
        assert line[2:8] == [row[f] for f in ATTENDANCE_FIGURES[:-1]]
        rate = row["attendance_rate"]
        assert line[8] == (None if rate is None else pytest.approx(rate / 100))
    totals = lines[6 + len(rows)]
    assert totals[0] == "Tổng cộng"
    assert totals[2:8] == [body["total"][f] for f in ATTENDANCE_FIGURES[:-1]]
    assert totals[8] == pytest.approx(body["total"]["attendance_rate"] / 100)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=7, column=9).number_format == "0.0%"

    lines = _csv_lines(
        await client.get("/api/v1/reports/attendance", params={**params, "format": "csv"})
    )
    assert lines[:2] == [[AGENCY], ["Báo cáo tình hình đến khám sức khỏe định kỳ"]]
    assert lines[5] == ["Đối tượng", "Mã đối tượng", *ATTENDANCE_HEADERS]
    for line, row in zip(lines[6 : 6 + len(rows)], rows, strict=True):
        assert line[1] == row["category"]
        assert line[2:8] == [str(row[f]) for f in ATTENDANCE_FIGURES[:-1]]
        assert line[8] == ("" if row["attendance_rate"] is None else str(row["attendance_rate"]))
    assert lines[6 + len(rows)][:8] == ["Tổng cộng", ""] + [
        str(body["total"][f]) for f in ATTENDANCE_FIGURES[:-1]
    ]


async def test_english_headers_when_asked(client, year_of_checks) -> None:
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    xlsx = await client.get(
        "/api/v1/reports/attendance",
        params={"group_by": "commune", "format": "xlsx"},
        headers=english,
    )
    lines = _sheet_rows(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active)
    assert lines[1][0] == "Attendance at periodic health checks"
    assert lines[2][0] == "Period: all time"
    assert lines[5][:4] == ["Commune or ward", "Commune code", "Checkups booked", "Attended"]
    assert lines[5][-1] == "Attendance rate (%)"
    assert lines[-1][0] == "Total"
    yearly = await client.get(
        "/api/v1/reports/yearly-checks",
        params={"year": today().year, "format": "csv"},
        headers=english,
    )
    text = yearly.content.decode("utf-8-sig")
    assert "Yearly summary of periodic health checks for people with merit" in text
    assert "Category,Category code,People on the registry,Due for a check in the year" in text
    assert "Đối tượng" not in text
    body = (
        await client.get(
            "/api/v1/reports/yearly-checks", params={"year": today().year}, headers=english
        )
    ).json()
    assert {r["category"]: r["category_name"] for r in body["by_category"]}["sick-soldier"] == (
        "Sick soldier"
    )
    chart = await client.get(
        "/api/v1/reports/attendance", params={"format": "svg"}, headers=english
    )
    assert "Attendance rate by commune or ward" in chart.text
    assert "Tỷ lệ" not in chart.text
