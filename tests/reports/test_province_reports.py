"""Every aggregate report per province (decision 0061), in a deployment serving Điện Biên (11)
and Lai Châu (12) (the `provinces` fixture): the nation-wide account reads the two provinces as
two rows that add up to the total, in JSON and in the officer's files (the province's name beside
its code); a province's officer reads only their own, residents registered at no facility
included."""

import csv
import io
from typing import Any

import httpx
import openpyxl
import pytest

from tests.pharmacy.test_stock import dispense, receive
from tests.scheduling.conftest import book, day
from veteran_care.models import Role

PROVINCE_NAMES = {"11": "Điện Biên", "12": "Lai Châu"}
# What each province did today: (units dispensed, health class, diagnosis).
ACTIVITY = {"11": (3, "II", "I10"), "12": (5, "III", "E11.9")}
# The people each province counts: its person, and in Lai Châu the resident of no facility.
ACTIVE = {"11": 1, "12": 2}


@pytest.fixture
async def activity(
    provinces: dict[str, Any], client: httpx.AsyncClient, client_for: Any
) -> dict[str, Any]:
    """In each province today: the person examined and concluded at its clinic, and given
    medicines there."""
    clinician = await client_for(Role.clinician)
    pharmacist = await client_for(Role.pharmacist)
    found = await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})
    medicine = found.json()["items"][0]
    for code, (units, health_class, icd10) in ACTIVITY.items():
        clinic, person = provinces[code]["clinic"], provinces[code]["person"]
        booked = await book(client, clinic, person, day(0), ["internal-medicine"])
        assert booked.status_code == 201, booked.text
        checkup = booked.json()
        result = await clinician.post(
            f"/api/v1/appointments/{checkup['appointments'][0]['id']}/result",
            json={"diagnoses": [{"code": icd10, "principal": True}]},
        )
        assert result.status_code == 201, result.text
        concluded = await clinician.put(
            f"/api/v1/checkups/{checkup['id']}/conclusion",
            json={"health_class": health_class, "conclusion": "Ổn định"},
        )
        assert concluded.status_code == 200, concluded.text
        await receive(pharmacist, clinic, medicine, f"L-{code}", day(300), 20)
        given = await dispense(pharmacist, clinic, medicine, person, units)
        assert given.status_code == 201, given.text
    return provinces


async def _nation_wide(client_for: Any) -> httpx.AsyncClient:
    ministry: httpx.AsyncClient = await client_for(
        Role.reporter, Role.clinician, province_wide=False, nation_wide=True
    )
    return ministry


async def _officer(client_for: Any, province: str) -> httpx.AsyncClient:
    officer: httpx.AsyncClient = await client_for(
        Role.reporter, Role.clinician, province_wide=False, province_codes=[province]
    )
    return officer


async def _by_province(reader: httpx.AsyncClient, report: str) -> dict[str, Any]:
    response = await reader.get(f"/api/v1/reports/{report}", params={"group_by": "province"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert all(row["province_name"] == PROVINCE_NAMES[row["province"]] for row in body["rows"])
    return body


def _per_province(body: dict[str, Any], figure: str) -> dict[str, int]:
    return {row["province"]: row[figure] for row in body["rows"]}


def _health(body: dict[str, Any]) -> dict[str, Any]:
    """Per province: (health class, checkups), (diagnosis, diagnoses)."""
    found: dict[str, Any] = {}
    for row in body["rows"]:
        key = ("health_class", "checkups")
        if row["kind"] == "diagnosis":
            key = ("icd10_code", "diagnoses")
        found.setdefault(row["province"], []).append((row[key[0]], row[key[1]]))
    return found


async def test_the_nation_wide_account_reads_each_report_per_province(
    activity: dict[str, Any], client_for: Any
) -> None:
    ministry = await _nation_wide(client_for)
    dispensing = await _by_province(ministry, "dispensing")
    units = {code: given for code, (given, _, _) in ACTIVITY.items()}
    assert _per_province(dispensing, "quantity") == units
    assert sum(units.values()) == dispensing["total"]["quantity"]
    assert _per_province(dispensing, "people") == {"11": 1, "12": 1}

    health = await _by_province(ministry, "health")
    assert _health(health) == {
        code: [(health_class, 1), (icd10, 1)] for code, (_, health_class, icd10) in ACTIVITY.items()
    }
    assert health["total"]["checkups"] == 2

    coverage = await _by_province(ministry, "coverage")
    assert _per_province(coverage, "active") == ACTIVE
    for figure in ("active", "checked_within_interval", "due", "never_checked"):
        assert sum(_per_province(coverage, figure).values()) == coverage["total"][figure]

    cards = await _by_province(ministry, "card-coverage")
    assert _per_province(cards, "active") == ACTIVE
    assert _per_province(cards, "valid") == {"11": 1, "12": 1}
    assert _per_province(cards, "none") == {"11": 0, "12": 1}  # the resident of no facility
    for figure in ("active", "valid", "none"):
        assert sum(_per_province(cards, figure).values()) == cards["total"][figure]


@pytest.mark.parametrize(("mine", "theirs"), [("12", "11"), ("11", "12")])
async def test_a_province_officer_reads_only_their_province(
    activity: dict[str, Any], client_for: Any, mine: str, theirs: str
) -> None:
    officer = await _officer(client_for, mine)
    dispensing = await _by_province(officer, "dispensing")
    assert _per_province(dispensing, "quantity") == {mine: ACTIVITY[mine][0]}
    health = await _by_province(officer, "health")
    assert list(_health(health)) == [mine]
    for report in ("coverage", "card-coverage"):
        body = await _by_province(officer, report)
        assert _per_province(body, "active") == {mine: ACTIVE[mine]}, report
        assert body["total"]["active"] == ACTIVE[mine]
    attendance = await _by_province(officer, "attendance")
    assert theirs not in _per_province(attendance, "booked")


async def test_a_province_officer_counts_the_residents_registered_nowhere(
    activity: dict[str, Any], client_for: Any
) -> None:
    """The Lai Châu resident registered at no facility is on the Lai Châu officer's registry
    (coverage, cards, the yearly summary), and the people behind the figure name them."""
    unplaced = activity["12"]["unplaced"]
    officers = {code: await _officer(client_for, code) for code in ("11", "12")}
    for code, officer in officers.items():
        people = await officer.get(
            "/api/v1/reports/card-coverage/people", params={"bucket": "none"}
        )
        assert people.status_code == 200, people.text
        listed = [p["beneficiary_id"] for p in people.json()["items"]]
        assert listed == ([unplaced["id"]] if code == "12" else [])
        yearly = await officer.get("/api/v1/reports/yearly-checks", params={"year": day(0)[:4]})
        assert yearly.status_code == 200, yearly.text
        assert yearly.json()["total"]["registry"] == ACTIVE[code]


@pytest.mark.parametrize("report", ["dispensing", "health", "coverage", "card-coverage"])
async def test_the_files_per_province_name_each_province_beside_its_code(
    activity: dict[str, Any], client_for: Any, report: str
) -> None:
    ministry = await _nation_wide(client_for)
    params = {"group_by": "province"}
    body = (await ministry.get(f"/api/v1/reports/{report}", params=params)).json()
    response = await ministry.get(f"/api/v1/reports/{report}", params={**params, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[5][:2] == ["Tỉnh, thành phố", "Mã tỉnh"]
    table = lines[6 : 6 + len(body["rows"])]
    assert [line[:2] for line in table] == [
        [PROVINCE_NAMES[row["province"]], row["province"]] for row in body["rows"]
    ]
    xlsx = await ministry.get(f"/api/v1/reports/{report}", params={**params, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[5][:2] == ["Tỉnh, thành phố", "Mã tỉnh"]
    assert {tuple(row[:2]) for row in rows[6 : 6 + len(body["rows"])]} == {
        (name, code) for code, name in PROVINCE_NAMES.items()
    }
    pdf = await ministry.get(f"/api/v1/reports/{report}", params={**params, "format": "pdf"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")
