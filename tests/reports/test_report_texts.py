"""What a JSON report says for people (what each figure counts, the rate's formula) in the
language of `Accept-Language`; the health report's file with its totals row."""

import csv
import io
from typing import Any

import httpx
import openpyxl
import pytest

from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from veteran_care.models import Role

VI, EN = {"Accept-Language": "vi"}, {"Accept-Language": "en"}


async def _json(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    params = {"year": 2026} if path == "yearly-checks" else {}
    response = await client.get(f"/api/v1/reports/{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# One figure of each report and what it counts, in Vietnamese and in English.
DESCRIBED = [
    (
        "attendance",
        "noshow",
        "lượt khám không đến, có một lần khám được ghi là vắng mặt",
        "checkups not attended with an examination marked noshow",
    ),
    (
        "coverage",
        "never_checked",
        "chưa có lần khám hoàn thành nào và chưa có lần khám trước đây nào",
        "no fulfilled examination and no past check at all",
    ),
    (
        "dispensing",
        "dispenses",
        "số lần cấp phát thuốc đã hoàn thành",
        "completed dispenses",
    ),
    (
        "health",
        "people",
        "số người có công có chẩn đoán này (mỗi người tính một lần)",
        "distinct beneficiaries with the diagnosis",
    ),
    (
        "yearly-checks",
        "class_IV",
        "người đã khám có kết luận gần nhất trong năm là loại IV",
        "examined people whose latest conclusion of the year is class IV",
    ),
    (
        "card-coverage",
        "none",
        "không có thẻ còn giá trị hôm nay và không có thẻ đã hết hạn (chưa từng có thẻ, hoặc thẻ "
        "có giá trị từ một ngày sau)",
        "no card valid today and none that ended (never one, or one that starts later)",
    ),
]


@pytest.mark.parametrize(("path", "figure", "vietnamese", "english"), DESCRIBED)
async def test_each_report_says_what_its_figures_count_in_the_language_asked_for(
    client: httpx.AsyncClient, path: str, figure: str, vietnamese: str, english: str
) -> None:
    vi, en = await _json(client, path, VI), await _json(client, path, EN)
    assert vi["figures"][figure] == vietnamese
    assert en["figures"][figure] == english
    assert set(vi["figures"]) == set(en["figures"])  # the figures' codes stay as they are


async def test_the_attendance_rate_formula_in_both_languages(client: httpx.AsyncClient) -> None:
    vi, en = await _json(client, "attendance", VI), await _json(client, "attendance", EN)
    assert en["formula"] == "attendance_rate = attended / (attended + noshow); null when both are 0"
    assert vi["formula"].endswith("null (để trống) khi cả hai đều bằng 0")
    assert vi["figures"]["attendance_rate"] == vi["formula"]


async def _health_data(client: httpx.AsyncClient, client_for: Any) -> None:
    clinic = await make_clinic(client, days=1, specialties=["internal-medicine"])
    clinician = await client_for(Role.clinician, province_wide=False, facility_ids=[clinic["id"]])
    # three people, four diagnoses: the second person has two
    plan = [("II", ["I10"]), ("III", ["I10", "E11.9"]), ("III", ["J44.9"])]
    for health_class, codes in plan:
        person = await person_with_card(client, categories=[{"code": "veteran"}])
        checkup = (await book(client, clinic, person, day(0), ["internal-medicine"])).json()
        appointment = checkup["appointments"][0]["id"]
        diagnoses = [{"code": c, "principal": i == 0} for i, c in enumerate(codes)]
        result = await clinician.post(
            f"/api/v1/appointments/{appointment}/result", json={"diagnoses": diagnoses}
        )
        assert result.status_code == 201, result.text
        concluded = await clinician.put(
            f"/api/v1/checkups/{checkup['id']}/conclusion",
            json={"health_class": health_class, "conclusion": "x"},
        )
        assert concluded.status_code in (200, 201), concluded.text


async def test_the_health_file_has_a_totals_row(client: httpx.AsyncClient, client_for) -> None:
    await _health_data(client, client_for)
    params = {"date_from": day(0), "top": 10}
    body = (await client.get("/api/v1/reports/health", params=params)).json()
    classes = [r for r in body["rows"] if r["kind"] == "classification"]
    found = [r for r in body["rows"] if r["kind"] == "diagnosis"]
    # each checkup has one class and each diagnosis one code: those totals are the rows' sums;
    # people are counted once however many diagnoses they have
    assert body["total"] == {
        "checkups": sum(r["checkups"] for r in classes),
        "diagnoses": sum(r["diagnoses"] for r in found),
        "people": 3,
    }
    assert (body["total"]["checkups"], body["total"]["diagnoses"]) == (3, 4)

    xlsx = await client.get("/api/v1/reports/health", params={**params, "format": "xlsx"})
    lines = [list(r) for r in openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.values]
    assert lines[5] == [
        "Loại",
        "Phân loại sức khỏe",
        "Số lượt khám",
        "Mã ICD-10",
        "Chẩn đoán",
        "Số lượt chẩn đoán",
        "Số người",
    ]
    table = lines[6 : 6 + len(body["rows"])]
    assert {line[0] for line in table} == {"Phân loại sức khỏe", "Chẩn đoán"}
    totals = lines[6 + len(body["rows"])]
    assert totals[0] == "Tổng cộng"
    assert (totals[2], totals[5], totals[6]) == (3, 4, 3)

    text = await client.get(
        "/api/v1/reports/health", params={**params, "format": "csv"}, headers=EN
    )
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    totals_line = rows[6 + len(body["rows"])]
    assert totals_line[0] == "Total"
    assert (totals_line[2], totals_line[5], totals_line[6]) == ("3", "4", "3")
    assert {line[0] for line in rows[6 : 6 + len(body["rows"])]} == {"Health class", "Diagnosis"}
