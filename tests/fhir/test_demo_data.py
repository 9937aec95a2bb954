"""The demo registry (year-only births, legacy CMND, deceased people, several categories, old and
new card numbers) through the FHIR view: every Patient and Coverage valid R4."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fhir.conftest import FHIR, entries, validate
from veteran_care.demo import seed_demo


async def test_every_demo_patient_and_card_is_valid(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_demo(session, count=40)
    await session.commit()
    url: str | None = f"{FHIR}/Patient?_count=15"
    patients = []
    while url:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        bundle = response.json()
        patients += entries(bundle)
        url = {link["relation"]: link["url"] for link in bundle["link"]}.get("next")
    assert len(patients) >= 40
    assert any(len(p["birthDate"]) == 4 for p in patients), "a year-only birth date"
    assert any("deceasedDateTime" in p for p in patients)
    for patient in patients[:40]:
        response = await client.get(f"{FHIR}/Patient/{patient['id']}/$everything")
        assert response.status_code == 200, response.text
        for resource in entries(response.json()):
            validate(resource)
