"""Two provinces served at once, Điện Biên (11) and Lai Châu (12), for the tests of province
scope (decision 0054) and of the reports per province (decision 0061): a clinic in each, a
person living in each province registered and booked at its clinic, and a Lai Châu resident
registered at no facility. The fixtures are offered to every test by the root conftest."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.factories import create_beneficiary, create_facility
from tests.scheduling.conftest import EVERY_DAY, book, day, person_with_card
from veteran_care.config import get_settings

DIEN_BIEN_WARD, DIEN_BIEN_COMMUNE = "03127", "03325"  # Phường Điện Biên Phủ, Xã Mường Phăng
LAI_CHAU_WARD = "03388"  # Phường Đoàn Kết


@pytest.fixture
def both(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VETERAN_CARE_PROVINCES", '["11", "12"]')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def clinic_in(client: httpx.AsyncClient, commune: str) -> dict[str, Any]:
    facility = await create_facility(client, level="regional-medical-centre", commune_code=commune)
    service = await client.post(
        f"/api/v1/facilities/{facility['id']}/services",
        json={"specialty_code": "internal-medicine", "timetable": EVERY_DAY, "default_capacity": 5},
    )
    assert service.status_code == 201, service.text
    sessions = await client.post(
        "/api/v1/sessions/generate",
        json={
            "facility_id": facility["id"],
            "date_from": day(0),
            "date_to": day(2),
            "skip_public_holidays": False,
        },
    )
    assert sessions.status_code == 200, sessions.text
    return facility


@pytest.fixture
async def provinces(both: None, client: httpx.AsyncClient) -> dict[str, Any]:
    """A clinic in each province, a person registered and booked at each, and a Lai Châu
    resident registered at no facility."""
    made: dict[str, Any] = {}
    for code, commune, ward in (
        ("11", DIEN_BIEN_COMMUNE, DIEN_BIEN_WARD),
        ("12", LAI_CHAU_WARD, LAI_CHAU_WARD),
    ):
        clinic = await clinic_in(client, commune)
        person = await person_with_card(
            client, commune_code=ward, registered_facility_id=clinic["id"]
        )
        booked = await book(client, clinic, person, day(1), ["internal-medicine"])
        assert booked.status_code == 201, booked.text
        made[code] = {"clinic": clinic, "person": person}
    made["12"]["unplaced"] = await create_beneficiary(client, commune_code=LAI_CHAU_WARD)
    return made
