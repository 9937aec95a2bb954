"""The card coverage report against a count by hand, and the people behind each figure."""

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest

from tests.factories import create_beneficiary
from tests.scheduling.conftest import person_with_card
from veteran_care.kit.clock import today
from veteran_care.models import Role


@dataclass
class Holder:
    commune: str
    categories: list[str]
    card_to: int | None  # days from today the card ends; None: no card
    card_from: int = -400  # days from today it began


HOLDERS = [
    Holder("03127", ["veteran"], 500),
    Holder("03127", ["veteran", "wounded-soldier"], 10),  # ends within 30 days
    Holder("03127", [], 30),  # today + 30: within 30 days
    Holder("03325", ["veteran"], 31),  # within 60, not 30
    Holder("03325", ["former-youth-volunteer"], 60),
    Holder("03325", ["veteran"], 61),
    Holder("03328", ["veteran"], -1),  # ended yesterday
    Holder("03328", ["sick-soldier"], None),
    Holder("03328", ["veteran"], 0),  # ends today: still valid
    Holder("03127", ["veteran"], 900, card_from=5),  # only a card that starts later
]
FIGURES = ["active", "valid", "expiring_30", "expiring_60", "expired", "none"]


def buckets(holder: Holder) -> set[str]:
    if holder.card_to is None or holder.card_from > 0:
        return {"none"}
    if holder.card_to < 0:
        return {"expired"}
    found = {"valid"}
    if holder.card_to <= 30:
        found.add("expiring_30")
    if holder.card_to <= 60:
        found.add("expiring_60")
    return found


def _day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


@pytest.fixture
async def holders(client: httpx.AsyncClient) -> list[tuple[Holder, dict[str, Any]]]:
    made = []
    for index, holder in enumerate(HOLDERS):
        fields: dict[str, Any] = {
            "phone": f"0913{index:06d}",
            "commune_code": holder.commune,
            "categories": [
                {"code": c, "disability_rate": 61} if c.endswith("-soldier") else {"code": c}
                for c in holder.categories
            ],
        }
        if holder.card_to is None:
            person = await create_beneficiary(client, **fields)
        elif holder.card_from > 0:
            person = await create_beneficiary(client, **fields)
            card = await client.post(
                f"/api/v1/beneficiaries/{person['id']}/cards",
                json={
                    "number": person["bhxh_number"],
                    "valid_from": _day(holder.card_from),
                    "valid_to": _day(holder.card_to),
                    "registration_facility_code": "11001",
                },
            )
            assert card.status_code == 201, card.text
        else:
            person = await person_with_card(client, card_until=_day(holder.card_to), **fields)
        made.append((holder, person))
    return made


def expected(made: list[tuple[Holder, dict[str, Any]]], group: str) -> dict[str, Counter[str]]:
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    for holder, _person in made:
        if group == "commune":
            keys = [holder.commune]
        elif group == "category":
            keys = holder.categories or ["no-category"]
        else:
            keys = ["total"]
        for key in keys:
            figures[key]["active"] += 1
            for bucket in buckets(holder):
                figures[key][bucket] += 1
    return figures


@pytest.mark.parametrize("group", ["commune", "category"])
async def test_card_coverage_matches_a_count_by_hand(client, holders, group: str) -> None:
    response = await client.get("/api/v1/reports/card-coverage", params={"group_by": group})
    assert response.status_code == 200, response.text
    body = response.json()
    want = expected(holders, group)
    got = {row[group]: {f: row[f] for f in FIGURES} for row in body["rows"]}
    assert got == {key: {f: counts[f] for f in FIGURES} for key, counts in want.items()}
    total = expected(holders, "total")["total"]
    assert {f: body["total"][f] for f in FIGURES} == {f: total[f] for f in FIGURES}
    assert body["total"]["active"] == sum(body["total"][b] for b in ("valid", "expired", "none"))
    if group == "category":
        names = {row["category"]: row["category_name"] for row in body["rows"]}
        assert names["no-category"] == "Không thuộc đối tượng nào"


@pytest.mark.parametrize("bucket", ["valid", "expiring_30", "expiring_60", "expired", "none"])
async def test_the_people_behind_each_figure(client, holders, bucket: str) -> None:
    want = {person["id"] for holder, person in holders if bucket in buckets(holder)}
    listed = await client.get(
        "/api/v1/reports/card-coverage/people", params={"bucket": bucket, "limit": 3}
    )
    assert listed.status_code == 200, listed.text
    found = [item["beneficiary_id"] for item in listed.json()["items"]]
    cursor = listed.json()["next_cursor"]
    while cursor:
        more = await client.get(
            "/api/v1/reports/card-coverage/people",
            params={"bucket": bucket, "limit": 3, "cursor": cursor},
        )
        found += [item["beneficiary_id"] for item in more.json()["items"]]
        cursor = more.json()["next_cursor"]
    assert sorted(found) == sorted(want)
    assert len(found) == len(set(found))


async def test_the_people_of_one_commune_and_category(client, holders) -> None:
    params = {"bucket": "valid", "commune": "03127", "category": "veteran"}
    items = (await client.get("/api/v1/reports/card-coverage/people", params=params)).json()[
        "items"
    ]
    want = {
        person["id"]
        for holder, person in holders
        if holder.commune == "03127" and "veteran" in holder.categories
        if "valid" in buckets(holder)
    }
    assert {item["beneficiary_id"] for item in items} == want
    assert all(item["commune_name"] == "Phường Điện Biên Phủ" for item in items)
    nobody = {"bucket": "valid", "category": "no-category"}
    items = (await client.get("/api/v1/reports/card-coverage/people", params=nobody)).json()
    assert [i["beneficiary_id"] for i in items["items"]] == [holders[2][1]["id"]]
    assert items["items"][0]["card_valid_to"] == _day(30)


async def test_card_coverage_files(client, client_for, holders) -> None:
    reporter = await client_for(Role.reporter)
    xlsx = await reporter.get(
        "/api/v1/reports/card-coverage", params={"group_by": "commune", "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    lines = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert lines[1][0] == "Báo cáo tình hình thẻ bảo hiểm y tế"
    assert lines[2][0] == f"Kỳ báo cáo: tính đến ngày {today():%d/%m/%Y}"
    assert lines[5] == [
        "Xã, phường",
        "Mã xã",
        "Số người đang quản lý",
        "Thẻ còn hạn",
        "Thẻ hết hạn trong 30 ngày tới",
        "Thẻ hết hạn trong 60 ngày tới",
        "Thẻ đã hết hạn",
        "Chưa có thẻ",
    ]
    assert lines[-1][:3] == ["Tổng cộng", None, len(HOLDERS)]
    listed = await reporter.get(
        "/api/v1/reports/card-coverage/people", params={"bucket": "expired", "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(listed.content)).active
    ended = sheet.cell(row=7, column=8)  # "Last card ended on": a real date, shown dd/mm/yyyy
    assert ended.value == datetime.combine(today() - timedelta(days=1), datetime.min.time())
    assert ended.number_format == "dd/mm/yyyy"
    people = await reporter.get(
        "/api/v1/reports/card-coverage/people", params={"bucket": "expired", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(people.content.decode("utf-8-sig"))))
    assert rows[2] == [f"Kỳ báo cáo: Thẻ đã hết hạn, tính đến ngày {today():%d/%m/%Y}"]
    assert rows[5][:4] == ["Họ và tên", "Năm sinh", "Giới tính", "Số điện thoại"]
    (expired,) = rows[6:]
    assert expired[6:8] == ["", f"{today() - timedelta(days=1):%d/%m/%Y}"]
    assert expired[5] == "03328"
    assert expired[4] not in ("", "03328")  # the commune's name beside its code
    assert expired[3] == "******0006"  # a reporter sees the phone masked
