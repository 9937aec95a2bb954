"""Report figures against an independent computation on a generated dataset."""

import csv
import io
import uuid
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.kit.text import mask
from veteran_care.models import Appointment, AppointmentStatus, CancelledBy, Role
from veteran_care.reports.people import PEOPLE_COLUMNS
from veteran_care.scheduling.lifecycle import refresh_checkups

S = AppointmentStatus


@dataclass
class Case:
    commune: str
    sex: str
    birth_year: int
    categories: list[dict[str, Any]]
    when: int
    outcome: str  # what the appointments are made to say


CASES = [
    Case("03127", "male", 1950, [{"code": "veteran"}], 1, "attended"),
    Case("03127", "female", 1948, [{"code": "former-youth-volunteer"}], 1, "attended-partly"),
    Case(
        "03127",
        "male",
        1940,
        [{"code": "veteran"}, {"code": "wounded-soldier", "disability_rate": 61}],
        1,
        "noshow",
    ),
    Case("03325", "male", 1952, [{"code": "veteran"}], 1, "cancelled_by_patient"),
    Case(
        "03325",
        "female",
        1955,
        [{"code": "sick-soldier", "disability_rate": 45}],
        2,
        "cancelled_by_facility",
    ),
    Case("03325", "male", 1938, [{"code": "veteran"}], 2, "pending"),
    Case(
        "03328", "male", 1945, [{"code": "wounded-soldier", "disability_rate": 81}], 2, "attended"
    ),
    Case("03328", "female", 1949, [{"code": "veteran"}], 2, "entered-in-error"),
    Case("03328", "male", 1960, [{"code": "veteran"}], 2, "noshow"),
]
EXPECTED_OUTCOME = {"attended-partly": "attended"}


def age_band(birth_year: int) -> str:
    age = today().year - birth_year
    for lo, hi, label in (
        (0, 69, "<70"),
        (70, 74, "70-74"),
        (75, 79, "75-79"),
        (80, 84, "80-84"),
        (85, 200, "85+"),
    ):
        if lo <= age <= hi:
            return label
    raise AssertionError(age)


async def _shape(session: AsyncSession, checkup_id: str, outcome: str) -> None:
    ids = uuid.UUID(checkup_id)
    apt = update(Appointment).where(Appointment.checkup_id == ids)
    if outcome == "attended":
        await session.execute(apt.values(status=S.fulfilled))
    elif outcome == "attended-partly":
        await session.execute(
            apt.where(Appointment.specialty_code == "ultrasound").values(status=S.checked_in)
        )
        await session.execute(
            apt.where(Appointment.specialty_code != "ultrasound").values(
                status=S.cancelled, cancelled_by=CancelledBy.patient, cancel_reason="về sớm"
            )
        )
    elif outcome == "noshow":
        await session.execute(apt.values(status=S.noshow))
    elif outcome.startswith("cancelled_by_"):
        by = CancelledBy(outcome.removeprefix("cancelled_by_"))
        await session.execute(apt.values(status=S.cancelled, cancelled_by=by, cancel_reason="x"))
    elif outcome == "entered-in-error":
        await session.execute(apt.values(status=S.entered_in_error))
    # The statuses were written past the lifecycle (no-shows of future days): derive the checkup's
    # status and stored outcome as the lifecycle does after each change.
    await refresh_checkups(session, [ids])
    await session.commit()


@pytest.fixture
async def dataset(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, Any]:
    clinic = await make_clinic(
        client, capacity=20, days=3, specialties=["internal-medicine", "ultrasound"]
    )
    people = []
    for index, case in enumerate(CASES):
        person = await person_with_card(
            client,
            phone=f"0912{index:06d}",
            commune_code=case.commune,
            sex=case.sex,
            birth_year=case.birth_year,
            categories=case.categories,
        )
        checkup = (
            await book(client, clinic, person, day(case.when), ["internal-medicine", "ultrasound"])
        ).json()
        await _shape(session, checkup["id"], case.outcome)
        people.append((case, person, checkup))
    return {"clinic": clinic, "people": people}


def expected(dataset: dict[str, Any], group: str) -> dict[Any, Counter[str]]:
    figures: dict[Any, Counter[str]] = defaultdict(Counter)
    for case, person, _checkup in dataset["people"]:
        if case.outcome == "entered-in-error":
            continue
        outcome = EXPECTED_OUTCOME.get(case.outcome, case.outcome)
        keys: list[Any]
        if group == "commune":
            keys = [case.commune]
        elif group == "sex":
            keys = [case.sex]
        elif group == "category":
            keys = [c["code"] for c in case.categories]
        elif group == "age_band":
            keys = [age_band(case.birth_year)]
        elif group == "facility":
            keys = [dataset["clinic"]["id"]]
        elif group == "ethnicity":
            keys = [person["ethnicity_code"]]
        else:
            when = today().toordinal() + case.when
            d = today().fromordinal(when)
            keys = [d.year * 100 + d.month]
        for key in keys:
            figures[key]["booked"] += 1
            figures[key][outcome] += 1
    return figures


FIGURES = [
    "booked",
    "attended",
    "noshow",
    "cancelled_by_patient",
    "cancelled_by_facility",
    "pending",
]


@pytest.mark.parametrize(
    "group", ["commune", "facility", "category", "sex", "ethnicity", "age_band", "month"]
)
async def test_attendance_matches_an_independent_count(client, dataset, group: str) -> None:
    response = await client.get(
        "/api/v1/reports/attendance",
        params={"date_from": day(0), "date_to": day(5), "group_by": group},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["formula"].startswith("attendance_rate = attended / (attended + noshow)")
    assert set(FIGURES) <= set(body["figures"])
    want = expected(dataset, group)
    got = {row[group]: row for row in body["rows"]}
    assert set(got) == {str(k) if group == "facility" else k for k in want}
    for key, counts in want.items():
        row = got[str(key) if group == "facility" else key]
        assert {f: row[f] for f in FIGURES} == {f: counts[f] for f in FIGURES}, key
        seen = counts["attended"] + counts["noshow"]
        rate = round(100 * counts["attended"] / seen, 1) if seen else None
        assert row["attendance_rate"] == rate


async def test_attendance_totals_and_two_groupings(client, dataset) -> None:
    total = (await client.get("/api/v1/reports/attendance", params={"date_from": day(0)})).json()
    assert total["rows"] == [
        {
            "booked": 8,
            "attended": 3,
            "noshow": 2,
            "cancelled_by_patient": 1,
            "cancelled_by_facility": 1,
            "pending": 1,
            "attendance_rate": 60.0,
        }
    ]
    both = (
        await client.get(
            "/api/v1/reports/attendance",
            params={"group_by": ["commune", "sex"], "date_from": day(0)},
        )
    ).json()
    assert {(r["commune"], r["sex"]): r["booked"] for r in both["rows"]} == {
        ("03127", "female"): 1,
        ("03127", "male"): 2,
        ("03325", "female"): 1,
        ("03325", "male"): 2,
        ("03328", "male"): 2,
    }


async def test_csv_has_a_bom_and_xlsx_is_a_workbook(client, dataset) -> None:
    response = await client.get(
        "/api/v1/reports/attendance", params={"group_by": "commune", "format": "csv"}
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment; filename=" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # The title block, a blank line, then the table under Vietnamese headers, then the totals.
    rows = [dict(zip(lines[5], line, strict=True)) for line in lines[6:]]
    assert {r["Mã xã"]: int(r["Số lượt hẹn khám"]) for r in rows} == {
        "03127": 3,
        "03325": 3,
        "03328": 2,
        "": 8,
    }
    assert rows[0]["Xã, phường"] == "Phường Điện Biên Phủ"
    assert rows[-1]["Xã, phường"] == "Tổng cộng"
    by_accept = await client.get(
        "/api/v1/reports/attendance",
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert by_accept.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(by_accept.content)) as workbook:
        assert "xl/worksheets/sheet1.xml" in workbook.namelist()


async def test_attendance_chart_is_svg(client, dataset) -> None:
    response = await client.get("/api/v1/reports/attendance", params={"format": "svg"})
    assert response.headers["content-type"] == "image/svg+xml"
    assert "content-disposition" not in response.headers  # shown in the browser, not saved
    assert response.text.startswith("<svg")
    # Names an officer reads, the counts behind each rate, the period, and no English.
    assert "Tỷ lệ đến khám theo xã, phường" in response.text
    assert "Thời gian: toàn bộ thời gian" in response.text
    assert "Phường Điện Biên Phủ (03127): 66,7 % (2/3 lượt đến hẹn)" in response.text
    assert "commune" not in response.text
    assert "attendance" not in response.text
    assert ">100 %<" in response.text  # the axis
    by_month = await client.get(
        "/api/v1/reports/attendance",
        params={"format": "svg", "group_by": "month", "date_from": day(0), "date_to": day(5)},
    )
    month = today() + timedelta(days=1)
    assert f"{month:%m/%Y}" in by_month.text
    assert f"từ {today():%d/%m/%Y} đến" in by_month.text


async def test_a_group_with_no_attended_or_missed_checkup_says_why(client, dataset) -> None:
    response = await client.get(
        "/api/v1/reports/attendance", params={"format": "svg", "group_by": "category"}
    )
    assert "chưa có lượt khám nào đã diễn ra" in response.text  # sick soldier: cancelled only
    assert "Bệnh binh (sick-soldier)" in response.text


async def test_people_behind_the_figures_stream_as_csv(client, dataset) -> None:
    rows = await _people_csv(client)
    assert Counter(r["outcome"] for r in rows) == Counter(
        {
            "Đến khám": 3,
            "Vắng mặt": 2,
            "Hủy do người được khám": 1,
            "Hủy do cơ sở khám": 1,
            "Chưa đến ngày khám": 1,
        }
    )
    assert {r["commune_name"] for r in rows} >= {"Phường Điện Biên Phủ"}
    assert {r["facility_name"] for r in rows} == {dataset["clinic"]["name"]}
    page = (
        await client.get(
            "/api/v1/reports/attendance/people", params={"limit": 5, "date_from": day(0)}
        )
    ).json()
    rest = (
        await client.get(
            "/api/v1/reports/attendance/people",
            params={"limit": 5, "date_from": day(0), "cursor": page["next_cursor"]},
        )
    ).json()
    assert len({p["checkup_id"] for p in page["items"] + rest["items"]}) == 8


async def test_reporter_pulls_reports_and_sees_masked_phones(client_for, dataset) -> None:
    reporter = await client_for(Role.reporter)
    assert (await reporter.get("/api/v1/reports/attendance")).status_code == 200
    people = (await reporter.get("/api/v1/reports/attendance/people")).json()["items"]
    assert all(p["phone"] is None or p["phone"].startswith("*") for p in people)
    assert_problem(await reporter.get("/api/v1/reports/health"), 403)


async def test_coverage(client, dataset, session: AsyncSession) -> None:
    response = await client.get("/api/v1/reports/coverage", params={"group_by": "commune"})
    rows = {r["commune"]: r for r in response.json()["rows"]}
    # Fulfilled examinations are dated in the future here (booked ahead): within the interval.
    assert rows["03127"]["active"] == 3
    assert rows["03127"]["checked_within_interval"] == 1
    assert rows["03328"]["checked_within_interval"] == 1
    assert rows["03325"]["never_checked"] == 3
    assert rows["03325"]["due"] == rows["03325"]["overdue"] == 3


async def test_reports_are_audited_as_exports(client, dataset) -> None:
    response = await client.get("/api/v1/reports/coverage", params={"format": "csv"})
    assert response.status_code == 200
    from sqlalchemy import select

    from veteran_care.models import AuditEvent

    del select, AuditEvent  # the audit test module covers the trail's content


async def test_an_empty_period_counts_zero_not_null(client) -> None:
    body = (
        await client.get(
            "/api/v1/reports/attendance",
            params={"date_from": "2001-01-01", "date_to": "2001-12-31"},
        )
    ).json()
    assert body["rows"] == [
        {
            "booked": 0,
            "attended": 0,
            "noshow": 0,
            "cancelled_by_patient": 0,
            "cancelled_by_facility": 0,
            "pending": 0,
            "attendance_rate": None,
        }
    ]


async def test_a_period_that_ends_before_it_starts_is_refused(client) -> None:
    backwards = {"date_from": day(5), "date_to": day(1)}
    for report in ("attendance", "attendance/people", "dispensing", "health"):
        response = await client.get(f"/api/v1/reports/{report}", params=backwards)
        body = assert_problem(response, 422, "validation-error")
        assert [error["field"] for error in body["errors"]] == ["query.date_to"]


PEOPLE_HEADERS = [
    "Mã lượt khám (id)",
    "Ngày khám",
    "Mã cơ sở khám (id)",
    "Cơ sở khám",
    "Mã người (id)",
    "Họ và tên",
    "Số điện thoại",
    "Mã xã",
    "Xã, phường",
    "Giới tính",
    "Nhóm tuổi",
    "Kết quả hẹn khám",
]
IN_WORDS = {
    "sex": {"male": "Nam", "female": "Nữ"},
    "outcome": {
        "attended": "Đến khám",
        "noshow": "Vắng mặt",
        "cancelled_by_patient": "Hủy do người được khám",
        "cancelled_by_facility": "Hủy do cơ sở khám",
        "pending": "Chưa đến ngày khám",
    },
}


async def _people_csv(client: httpx.AsyncClient) -> list[dict[str, str]]:
    """The list an officer files: the title block, a blank line, the Vietnamese header row,
    then one line per checkup (read back under the JSON's field names)."""
    response = await client.get(
        "/api/v1/reports/attendance/people", params={"date_from": day(0), "format": "csv"}
    )
    assert response.status_code == 200, response.text
    assert response.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Sở Nội vụ tỉnh Điện Biên"]
    assert lines[1] == ["Danh sách người được hẹn khám sức khỏe định kỳ"]
    assert lines[2] == [f"Kỳ báo cáo: từ {today():%d/%m/%Y}"]
    assert lines[3][0].startswith("Lập lúc ")
    assert lines[4:6] == [[], PEOPLE_HEADERS]
    return [dict(zip(PEOPLE_COLUMNS, line, strict=True)) for line in lines[6:]]


async def test_people_csv_says_what_the_json_pages_say(client, client_for, dataset) -> None:
    pages = (
        await client.get(
            "/api/v1/reports/attendance/people", params={"date_from": day(0), "limit": 100}
        )
    ).json()["items"]
    as_text = [
        {k: "" if v is None else IN_WORDS.get(k, {}).get(v, str(v)) for k, v in item.items()}
        | {"date": f"{date.fromisoformat(item['date']):%d/%m/%Y}"}  # as the officer writes it
        for item in pages
    ]
    rows = await _people_csv(client)
    assert rows == as_text  # same columns, values and order (PostgreSQL writes it with COPY)
    assert {r["phone"] for r in rows} - {""}  # the dataset's people have phones
    reporter = await client_for(Role.reporter)
    masked = await _people_csv(reporter)
    assert [r["phone"] for r in masked] == [mask(r["phone"] or None) or "" for r in rows]
    assert [{**r, "phone": ""} for r in masked] == [{**r, "phone": ""} for r in rows]


async def test_attendance_periods_reach_the_first_and_the_last_date(client, dataset) -> None:
    """0001-01-01 and 9999-12-31 are dates like any other (issue 22)."""
    first, last = "0001-01-01", "9999-12-31"
    for dates, booked in (
        ({"date_from": first}, 8),
        ({"date_to": last}, 8),
        ({"date_from": first, "date_to": last}, 8),
        ({"date_from": last}, 0),
        ({"date_to": first}, 0),
    ):
        totals = await client.get("/api/v1/reports/attendance", params=dates)
        assert totals.status_code == 200, totals.text
        assert totals.json()["rows"][0]["booked"] == booked, dates
        people = await client.get(
            "/api/v1/reports/attendance/people", params={**dates, "limit": 200}
        )
        assert people.status_code == 200, people.text
        assert len(people.json()["items"]) == booked, dates
