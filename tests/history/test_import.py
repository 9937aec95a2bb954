"""A province's lists with each person's last check: imported as past checks, by the API's
rules, once; the next morning's due list and coverage report follow them."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.beneficiaries.test_import import csv_bytes, errors_by_line, person, run
from tests.factories import create_facility
from veteran_care.kit.clock import today
from veteran_care.models import PastCheck, PastCheckSource
from veteran_care.scheduling.due import months_before

COMMUNE = "03385"


def dmy(months: int) -> str:
    return months_before(today(), months).strftime("%d/%m/%Y")


async def due(client: httpx.AsyncClient, **params: Any) -> dict[str, dict[str, Any]]:
    response = await client.get(
        "/api/v1/due-list", params={"commune_code": COMMUNE, "limit": 100, **params}
    )
    assert response.status_code == 200, response.text
    return {e["full_name"]: e for e in response.json()["items"]}


async def coverage(client: httpx.AsyncClient) -> dict[str, int]:
    response = await client.get("/api/v1/reports/coverage", params={"group_by": "commune"})
    assert response.status_code == 200, response.text
    row = {r["commune"]: r for r in response.json()["rows"]}[COMMUNE]
    assert row.pop("commune_name")  # the commune's name beside its code
    figures: dict[str, int] = row
    return figures


async def set_grace(client: httpx.AsyncClient, days: int) -> None:
    response = await client.patch(
        "/api/v1/beneficiary-categories/veteran",
        json={"check_interval_months": 12, "overdue_grace_days": days},
    )
    assert response.status_code == 200, response.text


async def test_last_checks_make_the_due_list_and_coverage_right(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    facility = await create_facility(client)
    rows = [
        person(
            "Lò Văn Tám",
            ma_xa=COMMUNE,
            ngay_kham_gan_nhat=dmy(8),
            phan_loai_suc_khoe="2",
            noi_kham="Bệnh viện Quân y 6",
        ),
        person(
            "Quàng Thị Mười",
            ma_xa=COMMUNE,
            ngay_kham_gan_nhat=dmy(14),
            phan_loai_suc_khoe="III",
            noi_kham=facility["code"].lower(),
        ),
        person("Vì Văn Chưa", ma_xa=COMMUNE),
    ]
    content = csv_bytes(rows)
    first = await run(sessionmaker, content)
    assert (first.created, first.rejected, first.past_checks) == (3, 0, 2), first.errors
    stored = {
        c.place or str(c.facility_id): (c.health_class.value, c.source)
        for c in (await session.scalars(select(PastCheck))).all()
    }
    assert stored == {
        "Bệnh viện Quân y 6": ("II", PastCheckSource.import_),
        facility["id"]: ("III", PastCheckSource.import_),
    }

    await set_grace(client, 30)  # 14 months ago is past 12 months + 30 days
    listed = await due(client)
    assert set(listed) == {"Quàng Thị Mười", "Vì Văn Chưa"}
    fourteen_months_ago = months_before(today(), 14).isoformat()
    assert listed["Quàng Thị Mười"]["last_checked_on"] == fourteen_months_ago
    assert listed["Quàng Thị Mười"]["overdue"] is True
    assert set(await due(client, status="overdue")) == {"Quàng Thị Mười", "Vì Văn Chưa"}
    assert await coverage(client) == {
        "commune": COMMUNE,
        "active": 3,
        "checked_within_interval": 1,
        "due": 2,
        "overdue": 2,
        "never_checked": 1,
    }
    await set_grace(client, 90)  # within 12 months + 90 days: due, not yet overdue
    listed = await due(client)
    assert set(listed) == {"Quàng Thị Mười", "Vì Văn Chưa"}
    assert listed["Quàng Thị Mười"]["overdue"] is False
    assert set(await due(client, status="overdue")) == {"Vì Văn Chưa"}
    assert (await coverage(client))["overdue"] == 1

    again = await run(sessionmaker, content)
    assert (again.unchanged, again.rejected, again.past_checks) == (3, 0, 0)
    assert await session.scalar(select(func.count()).select_from(PastCheck)) == 2


async def test_last_check_cells_follow_the_api_rules(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    tomorrow = (today() + timedelta(days=1)).strftime("%d/%m/%Y")
    rows = [
        person(ngay_kham_gan_nhat=tomorrow, phan_loai_suc_khoe="I", noi_kham="Trạm y tế"),
        person(ngay_kham_gan_nhat=dmy(3), phan_loai_suc_khoe="VI", noi_kham="Trạm y tế"),
        person(ngay_kham_gan_nhat="01/01/1940", phan_loai_suc_khoe="2", noi_kham="Trạm y tế"),
        person(ngay_kham_gan_nhat=dmy(3), phan_loai_suc_khoe="", noi_kham=""),
        person(ngay_kham_gan_nhat="", phan_loai_suc_khoe="loại 4", noi_kham="Trạm y tế"),
        person(ngay_kham_gan_nhat=dmy(3), phan_loai_suc_khoe="Loại 5", noi_kham="Trạm y tế"),
    ]
    summary = await run(sessionmaker, csv_bytes(rows))
    assert (summary.created, summary.rejected, summary.past_checks) == (1, 5, 1)
    errors = errors_by_line(summary)
    assert [field for field, _ in errors[2]] == ["last_check_date"]
    assert "future" in errors[2][0][1]
    assert errors[3] == [
        ("last_check_health_class", "a health class I, II, III, IV or V (or 1 to 5)")
    ]
    assert errors[4] == [("last_check_date", "the check cannot be before the person's birth")]
    assert [field for field, _ in errors[5]] == [
        "last_check_health_class",
        "last_check_place",
    ]
    assert [field for field, _ in errors[6]] == ["last_check_date"]
    health_class = await session.scalar(select(PastCheck.health_class))
    assert health_class is not None
    assert health_class.value == "V"


async def test_a_later_import_moves_the_last_check_and_an_older_one_does_not(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    row = person(
        "Lò Văn Tám",
        ma_xa=COMMUNE,
        ngay_kham_gan_nhat=dmy(14),
        phan_loai_suc_khoe="2",
        noi_kham="Bệnh viện Quân y 6",
    )
    await set_grace(client, 30)
    created = await run(sessionmaker, csv_bytes([row]))
    assert (created.created, created.past_checks) == (1, 1), created.errors
    assert (await due(client))["Lò Văn Tám"]["last_checked_on"] == months_before(
        today(), 14
    ).isoformat()
    for months in (8, 20):  # a check 8 months ago: no longer due; then one 20 months ago
        summary = await run(sessionmaker, csv_bytes([row | {"ngay_kham_gan_nhat": dmy(months)}]))
        assert (summary.unchanged, summary.past_checks) == (1, 1), summary.errors
        assert "Lò Văn Tám" not in await due(client)  # the day stays 8 months ago
