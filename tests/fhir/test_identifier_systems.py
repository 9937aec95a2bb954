"""Identifier systems (issue 22, docs/decisions/0028): resources carry HL7 Vietnam's VN Core
systems (`http://fhir.hl7.org.vn/core/sid/...`); searches take them and, for integrators built on
the earlier draft, the old `http://fhir.ehealth.gov.vn/core/sid/...` systems too."""

import json
from typing import Any

import httpx
import pytest

from tests.factories import create_beneficiary
from tests.fhir.conftest import FHIR, Record, entries
from tests.fhir.test_search import every_page
from tests.fhir.test_view import everything
from veteran_care.fhir.codes import (
    BHYT_SYSTEM,
    CCCD_SYSTEM,
    CMND_SYSTEM,
    FACILITY_CODE_SYSTEM,
    OLD_INSURANCE_NUMBER_SYSTEM,
    OLD_NATIONAL_ID_SYSTEM,
    OLD_PROVIDER_CODE_SYSTEM,
)
from veteran_care.models import Role

CMND = "011234567"


def systems(resource: dict[str, Any]) -> set[tuple[str, str]]:
    return {(i["system"], i["value"]) for i in resource["identifier"]}


async def find(client: httpx.AsyncClient, identifier: str) -> list[str]:
    response = await client.get(f"{FHIR}/Patient", params={"identifier": identifier})
    assert response.status_code == 200, response.text
    return [r["id"] for r in entries(response.json())]


async def test_resources_carry_the_vn_core_systems(
    client: httpx.AsyncClient, record: Record
) -> None:
    person = record.person
    patient = (await client.get(f"{FHIR}/Patient/{person['id']}")).json()
    assert systems(patient) == {
        ("http://fhir.hl7.org.vn/core/sid/cccd", person["national_id"]),
        ("http://fhir.hl7.org.vn/core/sid/bhyt", person["bhxh_number"]),
    }
    legacy = await create_beneficiary(client, national_id=CMND)
    patient = (await client.get(f"{FHIR}/Patient/{legacy['id']}")).json()
    assert ("http://fhir.hl7.org.vn/core/sid/cmnd", CMND) in systems(patient)
    resources = await everything(client, person["id"])
    coverages = [r for r in resources if r["resourceType"] == "Coverage"]
    assert {(BHYT_SYSTEM, f"CB211{person['bhxh_number']}")} in [systems(c) for c in coverages]
    facility = coverages[0]["extension"][0]["valueIdentifier"]
    assert facility["system"] == "http://fhir.hl7.org.vn/core/sid/ma-cskcb"
    clinic = record.clinics[0]
    for resource_type in ("Organization", "Location"):
        found = (await client.get(f"{FHIR}/{resource_type}/{clinic['id']}")).json()
        assert systems(found) == {(FACILITY_CODE_SYSTEM, clinic["code"])}
    assert "fhir.ehealth.gov.vn" not in json.dumps(resources)


@pytest.mark.parametrize(
    ("national", "insurance"),
    [(CCCD_SYSTEM, BHYT_SYSTEM), (OLD_NATIONAL_ID_SYSTEM, OLD_INSURANCE_NUMBER_SYSTEM)],
    ids=["vn-core", "old"],
)
async def test_exact_identifiers_find_the_person_under_new_and_old_systems(
    client_for, record: Record, national: str, insurance: str
) -> None:
    # Exact identifiers find anyone in the province, even for a caller with no facility.
    scheduler = await client_for(Role.scheduler, province_wide=False, facility_ids=[])
    person, me = record.person, [record.person["id"]]
    assert await find(scheduler, f"{national}|{person['national_id']}") == me
    assert await find(scheduler, f"{insurance}|{person['bhxh_number']}") == me
    assert await find(scheduler, f"{insurance}|CB211{person['bhxh_number']}") == me
    assert await find(scheduler, f"{insurance}|{person['national_id']}") == []


async def test_cccd_and_cmnd_each_under_their_own_system(
    client: httpx.AsyncClient, record: Record
) -> None:
    cccd = record.person
    cmnd = await create_beneficiary(client, national_id=CMND)
    assert await find(client, f"{CMND_SYSTEM}|{CMND}") == [cmnd["id"]]
    assert await find(client, f"{OLD_NATIONAL_ID_SYSTEM}|{CMND}") == [cmnd["id"]]
    assert await find(client, f"{CCCD_SYSTEM}|{CMND}") == []
    assert await find(client, f"{CMND_SYSTEM}|{cccd['national_id']}") == []
    any_cccd = set(await every_page(client, "Patient", {"identifier": f"{CCCD_SYSTEM}|"}))
    any_cmnd = set(await every_page(client, "Patient", {"identifier": f"{CMND_SYSTEM}|"}))
    any_old = set(await every_page(client, "Patient", {"identifier": f"{OLD_NATIONAL_ID_SYSTEM}|"}))
    assert cccd["id"] in any_cccd - any_cmnd
    assert cmnd["id"] in any_cmnd - any_cccd
    assert any_old == any_cccd | any_cmnd


@pytest.mark.parametrize("system", [BHYT_SYSTEM, OLD_INSURANCE_NUMBER_SYSTEM])
async def test_any_insurance_number_under_new_and_old_systems(
    client: httpx.AsyncClient, record: Record, system: str
) -> None:
    found = await every_page(client, "Patient", {"identifier": f"{system}|"})
    assert {record.person["id"], record.other["id"]} <= set(found)


@pytest.mark.parametrize("system", [FACILITY_CODE_SYSTEM, OLD_PROVIDER_CODE_SYSTEM])
async def test_facility_codes_under_new_and_old_systems(
    client: httpx.AsyncClient, record: Record, system: str
) -> None:
    clinic = record.clinics[0]
    for resource_type in ("Organization", "Location"):
        exact = {"identifier": f"{system}|{clinic['code']}"}
        assert await every_page(client, resource_type, exact) == [clinic["id"]]
        anyone = await every_page(client, resource_type, {"identifier": f"{system}|"})
        assert {c["id"] for c in record.clinics} <= set(anyone)


async def test_the_capability_statement_names_the_systems(
    anon_client: httpx.AsyncClient,
) -> None:
    statement = (await anon_client.get(f"{FHIR}/metadata")).json()
    documented = {
        (resource["type"], parameter["name"]): parameter.get("documentation", "")
        for resource in statement["rest"][0]["resource"]
        for parameter in resource["searchParam"]
    }
    patient = documented["Patient", "identifier"]
    for system in (CCCD_SYSTEM, CMND_SYSTEM, BHYT_SYSTEM):
        assert f"`{system}|" in patient
    assert OLD_NATIONAL_ID_SYSTEM in patient
    assert OLD_INSURANCE_NUMBER_SYSTEM in patient
    for resource_type in ("Organization", "Location"):
        facility = documented[resource_type, "identifier"]
        assert f"`{FACILITY_CODE_SYSTEM}|" in facility
        assert OLD_PROVIDER_CODE_SYSTEM in facility
