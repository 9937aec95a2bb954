"""Commune codes of before 2025 (decision 0055): looked up, and read by the registry import as
the 2025 commune they became, with a warning in the import's answer."""

import io

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.beneficiaries.test_import import csv_bytes, person
from veteran_care.auth.principal import system_actor
from veteran_care.config import get_settings
from veteran_care.models import Beneficiary
from veteran_care.registry_import.importer import import_beneficiaries


async def test_an_old_code_names_the_commune_it_became(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/old-communes/03124")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["old_name"] == "Phường Noong Bua"
    assert body["old_district"] == "Thành phố Điện Biên Phủ"
    assert [(c["code"], c["name"], c["is_default"]) for c in body["communes"]] == [
        ("03334", "Phường Mường Thanh", True)
    ]
    lai_chau = (await client.get("/api/v1/old-communes/03386")).json()
    assert lai_chau["old_name"] == "Phường Quyết Thắng"
    assert [c["code"] for c in lai_chau["communes"]] == ["03388"]  # Phường Đoàn Kết
    assert lai_chau["communes"][0]["province_name"] == "Lai Châu"


async def test_a_split_commune_names_every_part_the_default_first(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/v1/old-communes/06655")).json()  # Hà Khẩu, Hạ Long
    assert [(c["code"], c["is_default"]) for c in body["communes"]] == [
        ("06661", True),
        ("06706", False),
    ]


async def test_a_code_not_on_record_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/old-communes/99999")
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"
    assert "99999" in response.json()["detail"]


async def test_the_import_records_an_old_code_as_its_2025_commune_and_says_so(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    old, current = person(ma_xa="03124"), person(ma_xa="03334")
    summary = await import_beneficiaries(
        sessionmaker, io.BytesIO(csv_bytes([old, current])), system_actor("import")
    )
    assert (summary.created, summary.rejected) == (2, 0), summary.errors
    stored = select(Beneficiary.commune_code).where(Beneficiary.bhxh_number == old["ma_bhxh"])
    assert await session.scalar(stored) == "03334"
    assert [(w.line, w.field) for w in summary.warnings] == [(2, "commune_code")]
    assert "03124" in summary.warnings[0].message
    assert "03334" in summary.warnings[0].message


async def test_an_old_code_of_a_province_not_served_is_refused(
    monkeypatch: pytest.MonkeyPatch, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    monkeypatch.setenv("VETERAN_CARE_PROVINCES", '["11"]')
    get_settings.cache_clear()
    try:
        content = csv_bytes([person(ma_xa="03386")])  # Lai Châu's Quyết Thắng, before 2025
        summary = await import_beneficiaries(
            sessionmaker, io.BytesIO(content), system_actor("import")
        )
    finally:
        get_settings.cache_clear()
    assert (summary.created, summary.rejected, summary.warnings) == (0, 1, [])
    assert "Lai Châu" in summary.errors[0].message


@pytest.mark.parametrize(
    ("old_code", "old_name", "communes"),
    [
        ("00022", "Phường Đội Cấn", [("00008", True), ("00004", False)]),  # Hà Nội, split
        ("26734", "Phường Tân Định", [("26737", True)]),  # Thành phố Hồ Chí Minh
    ],
)
async def test_old_codes_of_the_other_provinces_are_on_record(
    client: httpx.AsyncClient, old_code: str, old_name: str, communes: list[tuple[str, bool]]
) -> None:
    """Decision 0064: the old provinces whose lists disagree in places, commune by commune."""
    body = (await client.get(f"/api/v1/old-communes/{old_code}")).json()
    assert body["old_name"] == old_name
    assert [(c["code"], c["is_default"]) for c in body["communes"]] == communes
