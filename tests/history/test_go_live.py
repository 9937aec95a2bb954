"""Going live: a province's lists (people of the Ordinance's groups, their cards, their last
checks) come in through one import, and the next morning's due list, coverage report and bulk
scheduling are right (issue 24's "done when")."""

from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.beneficiaries.test_import import csv_bytes, person, run
from tests.history.test_import import dmy
from tests.scheduling.conftest import day, make_clinic
from veteran_care.kit.clock import today

COMMUNE = "03301"


def card(row: dict[str, str], until: date) -> dict[str, str]:
    """The row with a card: the BHXH number, valid from two years ago to ``until``."""
    return row | {
        "so_the_bhyt": row["ma_bhxh"],
        "the_tu_ngay": date(today().year - 2, 1, 1).strftime("%d/%m/%Y"),
        "the_den_ngay": until.strftime("%d/%m/%Y"),
        "ma_kcb_bd": "11001",
    }


def checked(row: dict[str, str], months_ago: int) -> dict[str, str]:
    return row | {
        "ngay_kham_gan_nhat": dmy(months_ago),
        "phan_loai_suc_khoe": "II",
        "noi_kham": "Trạm y tế xã",
    }


async def test_one_import_and_the_next_morning_is_right(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    valid = date(today().year + 1, 12, 31)
    expired = date(today().year - 1, 12, 31)
    rows = {
        "recent": checked(card(person("Lò Văn Gần", doi_tuong="veteran", ma_xa=COMMUNE), valid), 3),
        "old": checked(
            card(person("Quàng Văn Cũ", doi_tuong="Thương binh:61", ma_xa=COMMUNE), valid), 14
        ),
        "never": card(
            person("Vì Thị Mẹ", doi_tuong="Bà mẹ Việt Nam anh hùng", ma_xa=COMMUNE), valid
        ),
        "no-card": card(
            person("Lường Thị Liệt", doi_tuong="Thân nhân liệt sĩ", ma_xa=COMMUNE), expired
        ),
    }
    summary = await run(sessionmaker, csv_bytes(list(rows.values())))
    assert (summary.created, summary.cards, summary.past_checks, summary.rejected) == (
        4,
        4,
        2,
        0,
    ), summary.errors
    ids = await _ids(client)

    due = await client.get("/api/v1/due-list", params={"commune_code": COMMUNE, "limit": 50})
    assert due.status_code == 200, due.text
    listed = {e["beneficiary_id"]: e for e in due.json()["items"]}
    assert set(listed) == {ids["Quàng Văn Cũ"], ids["Vì Thị Mẹ"], ids["Lường Thị Liệt"]}
    assert listed[ids["Quàng Văn Cũ"]]["last_checked_on"] == months_ago(14)
    assert listed[ids["Vì Thị Mẹ"]]["last_checked_on"] is None

    report = await client.get("/api/v1/reports/coverage", params={"group_by": "commune"})
    assert report.status_code == 200, report.text
    row = {r["commune"]: r for r in report.json()["rows"]}[COMMUNE]
    assert row.pop("commune_name")  # the commune's name beside its code
    assert row == {
        "commune": COMMUNE,
        "active": 4,
        "checked_within_interval": 1,
        "due": 3,
        "overdue": 3,
        "never_checked": 2,
    }

    clinic = await make_clinic(
        client, capacity=2, days=4, specialties=["internal-medicine", "ultrasound"]
    )
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Khám định kỳ sau khi nhập danh sách",
            "starts_on": day(1),
            "ends_on": day(3),
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran", "wounded-soldier", "heroic-mother", "martyr-relative"],
            "specialty_codes": ["internal-medicine", "ultrasound"],
        },
    )
    assert campaign.status_code == 201, campaign.text
    booked = await client.post(
        f"/api/v1/campaigns/{campaign.json()['id']}/bulk-schedule",
        json={"facility_id": clinic["id"], "commune_codes": [COMMUNE]},
    )
    assert booked.status_code == 200, booked.text
    result = booked.json()
    assert {b["beneficiary_id"] for b in result["booked"]} == {
        ids["Quàng Văn Cũ"],
        ids["Vì Thị Mẹ"],
    }
    assert {n["beneficiary_id"]: n["reason"] for n in result["not_booked"]} == {
        ids["Lường Thị Liệt"]: "card-not-valid"
    }


def months_ago(months: int) -> str:
    day_, month, year = dmy(months).split("/")
    return f"{year}-{month}-{day_}"


async def _ids(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/beneficiaries", params={"commune_code": COMMUNE})
    assert response.status_code == 200, response.text
    return {p["full_name"]: p["id"] for p in response.json()["items"]}
