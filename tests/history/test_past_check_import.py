"""An import of past checks alone: people found by BHXH number or CCCD, the API's rules for
each check, idempotent, and a row whose person is unknown reported with its line (never a 500)."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.beneficiaries.test_import import csv_bytes
from tests.factories import create_beneficiary, create_facility
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import AuditEvent, PastCheck, PastCheckSource, Role
from veteran_care.scheduling.due import months_before


def dmy(months: int) -> str:
    return months_before(today(), months).strftime("%d/%m/%Y")


def check(**cells: str) -> dict[str, str]:
    return {
        "ma_bhxh": "",
        "cccd": "",
        "ngay_kham_gan_nhat": dmy(3),
        "phan_loai_suc_khoe": "II",
        "noi_kham": "Trạm y tế xã Thanh Xương",
        **cells,
    }


async def upload(client: httpx.AsyncClient, rows: list[dict[str, str]]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/beneficiaries/past-checks/import",
        files={"file": ("kham-cu.csv", csv_bytes(rows), "text/csv")},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_checks_come_in_by_bhxh_or_cccd_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    facility = await create_facility(client)
    first = await create_beneficiary(client)
    second = await create_beneficiary(client)
    rows = [
        check(ma_bhxh=first["bhxh_number"]),
        check(cccd=second["national_id"], phan_loai_suc_khoe="4", noi_kham=facility["code"]),
        check(ma_bhxh=first["bhxh_number"], ngay_kham_gan_nhat=dmy(15), phan_loai_suc_khoe="I"),
        check(ma_bhxh="9999999999"),
        check(cccd="011099999999"),
    ]
    body = await upload(client, rows)
    assert (body["rows"], body["recorded"], body["already_recorded"], body["rejected"]) == (
        5,
        3,
        0,
        2,
    )
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (5, "bhxh_number"),
        (6, "national_id"),
    ]
    assert "no beneficiary" in body["errors"][0]["message"]
    stored = (
        await session.execute(
            select(PastCheck.health_class, PastCheck.facility_id, PastCheck.source).where(
                PastCheck.beneficiary_id == uuid.UUID(second["id"])
            )
        )
    ).all()
    assert [(c.value, str(f), s) for c, f, s in stored] == [
        ("IV", facility["id"], PastCheckSource.import_)
    ]
    again = await upload(client, rows)
    assert (again["recorded"], again["already_recorded"], again["rejected"]) == (0, 3, 2)
    assert await session.scalar(select(func.count()).select_from(PastCheck)) == 3
    # Checked 3 months ago: not due (the 15-month-old check of the file is not the last).
    person = (await client.get(f"/api/v1/due-list/{first['id']}")).json()
    assert person["status"] == "checked-within-interval"
    assert person["last_checked_on"] == months_before(today(), 3).isoformat()  # the past check
    imports = await session.scalar(
        select(func.count()).where(
            AuditEvent.action == "import", AuditEvent.resource_type == "past_check"
        )
    )
    assert imports == 2


async def test_each_check_follows_the_api_rules(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client, birth_year=1950)
    other = await create_beneficiary(client)
    tomorrow = (today() + timedelta(days=1)).strftime("%d/%m/%Y")
    bhxh = person["bhxh_number"]
    rows = [
        check(ma_bhxh=bhxh, ngay_kham_gan_nhat=tomorrow),
        check(ma_bhxh=bhxh, phan_loai_suc_khoe="VI"),
        check(ma_bhxh=bhxh, ngay_kham_gan_nhat="01/01/1949"),
        check(ma_bhxh=bhxh, noi_kham=""),
        check(ma_bhxh=bhxh, cccd=other["national_id"]),
        check(ma_bhxh="12345"),
        check(),
        check(ma_bhxh=bhxh, ngay_kham_gan_nhat=dmy(2)),
        check(ma_bhxh=bhxh, ngay_kham_gan_nhat=dmy(2), phan_loai_suc_khoe="III"),
    ]
    body = await upload(client, rows)
    assert (body["recorded"], body["already_recorded"], body["rejected"]) == (1, 1, 7)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (2, "last_check_date"),
        (3, "last_check_health_class"),
        (4, "last_check_date"),
        (5, "last_check_place"),
        (6, "national_id"),
        (7, "bhxh_number"),
        (8, "bhxh_number"),
    ]
    assert "two different people" in body["errors"][4]["message"]


async def test_a_file_without_the_check_columns_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/beneficiaries/past-checks/import",
        files={"file": ("x.csv", b"ma_bhxh,ngay_kham_gan_nhat\r\n1122334455,01/02/2026\r\n")},
    )
    body = assert_problem(response, 422, "invalid-file")
    assert "last_check_health_class" in body["detail"]


async def test_a_scoped_scheduler_imports_for_their_own_people(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    own = await create_facility(client)
    other = await create_facility(client)
    mine = await create_beneficiary(client, registered_facility_id=own["id"])
    theirs = await create_beneficiary(client, registered_facility_id=other["id"])
    scheduler = await client_for(Role.scheduler, province_wide=False, facility_ids=[own["id"]])
    body = await upload(
        scheduler, [check(ma_bhxh=mine["bhxh_number"]), check(ma_bhxh=theirs["bhxh_number"])]
    )
    assert (body["recorded"], body["rejected"]) == (1, 1)
    assert body["errors"][0]["line"] == 3
    reporter = await client_for(Role.reporter)
    refused = await reporter.post(
        "/api/v1/beneficiaries/past-checks/import",
        files={"file": ("x.csv", csv_bytes([check(ma_bhxh=mine["bhxh_number"])]))},
    )
    assert_problem(refused, 403)
