"""A deployment serves the provinces it is configured for (issue 28): every commune of 2025 is
known, registration keeps to the provinces served, and the demo and the agency follow them."""

from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import beneficiary_payload, create_facility
from tests.scheduling.conftest import EVERY_DAY, book, day, person_with_card
from veteran_care.config import Settings, get_settings
from veteran_care.demo import seed_demo
from veteran_care.models import Beneficiary, Commune, Facility
from veteran_care.reference.service import agency_name, check_served_provinces

LAI_CHAU_WARD = "03388"  # Phường Đoàn Kết
DIEN_BIEN_WARD = "03127"  # Phường Điện Biên Phủ


@pytest.fixture
def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lai Châu (code 12) alone, as a deployment there would be configured."""
    monkeypatch.setenv("VETERAN_CARE_PROVINCES", '["12"]')
    monkeypatch.delenv("VETERAN_CARE_AGENCY_NAME", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_every_province_and_commune_of_2025_is_known(session: AsyncSession) -> None:
    rows = (
        await session.execute(
            select(Commune.province_code, func.count()).group_by(Commune.province_code)
        )
    ).all()
    per_province = dict(rows)
    assert len(per_province) == 34
    assert sum(per_province.values()) == 3321
    assert per_province["11"] == 45  # Điện Biên, unchanged by the reform
    assert per_province["12"] == 38  # Lai Châu


async def test_the_communes_listed_are_the_served_provinces_unless_asked(
    serving: None, client: httpx.AsyncClient
) -> None:
    served = (await client.get("/api/v1/communes")).json()["items"]
    assert {c["province_code"] for c in served} == {"12"}
    assert {c["province_name"] for c in served} == {"Lai Châu"}
    other = (await client.get("/api/v1/communes", params={"province_code": "11"})).json()
    assert len(other["items"]) == 45


async def test_a_lai_chau_deployment_registers_its_own_people_and_refuses_dien_bien(
    serving: None, client: httpx.AsyncClient
) -> None:
    ours = await client.post(
        "/api/v1/beneficiaries", json=beneficiary_payload(commune_code=LAI_CHAU_WARD)
    )
    assert ours.status_code == 201, ours.text
    theirs = await client.post(
        "/api/v1/beneficiaries", json=beneficiary_payload(commune_code=DIEN_BIEN_WARD)
    )
    assert theirs.status_code == 422
    problem = theirs.json()
    assert problem["code"] == "commune-outside-province"
    assert problem["field"] == "commune_code"
    assert "Điện Biên" in problem["detail"]


async def test_a_lai_chau_deployment_books_and_reports_with_its_own_communes_and_agency(
    serving: None, client: httpx.AsyncClient
) -> None:
    refused = await client.post(
        "/api/v1/facilities",
        json={
            "code": "11LC9",
            "name": "Trạm Y tế",
            "level": "commune-health-station",
            "commune_code": DIEN_BIEN_WARD,
        },
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "commune-outside-province"
    clinic = await create_facility(
        client, level="regional-medical-centre", commune_code=LAI_CHAU_WARD
    )
    service = await client.post(
        f"/api/v1/facilities/{clinic['id']}/services",
        json={"specialty_code": "internal-medicine", "timetable": EVERY_DAY, "default_capacity": 5},
    )
    assert service.status_code == 201, service.text
    sessions = await client.post(
        "/api/v1/sessions/generate",
        json={
            "facility_id": clinic["id"],
            "date_from": day(1),
            "date_to": day(1),
            "skip_public_holidays": False,
        },
    )
    assert sessions.status_code == 200, sessions.text
    person = await person_with_card(
        client, commune_code=LAI_CHAU_WARD, registered_facility_id=clinic["id"]
    )
    booked = await book(client, clinic, person, day(1), ["internal-medicine"])
    assert booked.status_code == 201, booked.text

    report = await client.get(
        "/api/v1/reports/attendance",
        params={"group_by": ["province", "commune"], "format": "csv"},
        headers={"Accept-Language": "vi"},
    )
    assert report.status_code == 200, report.text
    lines = report.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Sở Nội vụ tỉnh Lai Châu")
    assert any("Lai Châu" in line and "Phường Đoàn Kết" in line for line in lines)
    assert "Điện Biên" not in report.text


async def test_a_deployment_for_both_provinces_takes_both(
    monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient
) -> None:
    monkeypatch.setenv("VETERAN_CARE_PROVINCES", '["11", "12"]')
    get_settings.cache_clear()
    try:
        for commune in (LAI_CHAU_WARD, DIEN_BIEN_WARD):
            response = await client.post(
                "/api/v1/beneficiaries", json=beneficiary_payload(commune_code=commune)
            )
            assert response.status_code == 201, response.text
    finally:
        get_settings.cache_clear()


async def test_the_demo_and_the_agency_follow_the_province(
    serving: None, session: AsyncSession
) -> None:
    summary = await seed_demo(session, count=40)

    assert summary.facilities == 7
    hospital = await session.scalar(select(Facility).where(Facility.code == "12001"))
    assert hospital is not None
    assert hospital.name == "Bệnh viện Đa khoa tỉnh Lai Châu"
    communes = select(Commune.province_code).join(
        Beneficiary, Beneficiary.commune_code == Commune.code
    )
    assert set((await session.scalars(communes)).all()) == {"12"}
    ids = (await session.scalars(select(Beneficiary.national_id))).all()
    assert all(i.startswith("012") for i in ids if i and len(i) == 12)
    assert await agency_name(session) == "Sở Nội vụ tỉnh Lai Châu"


async def test_a_province_that_does_not_exist_stops_the_start(session: AsyncSession) -> None:
    await check_served_provinces(session, ["11", "12"])
    with pytest.raises(RuntimeError, match="VETERAN_CARE_PROVINCES names 99"):
        await check_served_provinces(session, ["11", "99"])


@pytest.mark.parametrize("provinces", [[], ["1"], ["011"], ["ab"]])
def test_the_setting_takes_two_digit_codes(provinces: list[str]) -> None:
    with pytest.raises(ValidationError):
        Settings(provinces=provinces)


async def test_a_configured_agency_name_wins(
    monkeypatch: pytest.MonkeyPatch, session: AsyncSession
) -> None:
    monkeypatch.delenv("VETERAN_CARE_PROVINCES", raising=False)
    monkeypatch.delenv("VETERAN_CARE_AGENCY_NAME", raising=False)
    get_settings.cache_clear()
    assert await agency_name(session) == "Sở Nội vụ tỉnh Điện Biên"
    monkeypatch.setenv("VETERAN_CARE_AGENCY_NAME", "Sở Nội vụ (thử)")
    get_settings.cache_clear()
    try:
        assert await agency_name(session) == "Sở Nội vụ (thử)"
    finally:
        get_settings.cache_clear()
