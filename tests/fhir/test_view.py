"""The FHIR view: every resource valid R4, $everything complete and nobody else's, identifier
search with the VN Core systems, roles, facility scope, audit, OperationOutcome errors."""

import json
import uuid
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fhir.conftest import FHIR, FHIR_JSON, Record, entries, validate
from veteran_care.fhir.codes import BHYT_SYSTEM, CCCD_SYSTEM, FACILITY_CODE_SYSTEM
from veteran_care.models import AuditEvent, Role


def outcome(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == FHIR_JSON
    body: dict[str, Any] = response.json()
    validate(body)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["diagnostics"]
    return body


async def everything(client: httpx.AsyncClient, patient_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{FHIR}/Patient/{patient_id}/$everything")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == FHIR_JSON
    return entries(response.json())


async def test_everything_holds_the_whole_record_and_nobody_elses(
    client: httpx.AsyncClient, record: Record
) -> None:
    resources = await everything(client, record.person["id"])
    for resource in resources:
        validate(resource)
    kinds = Counter(r["resourceType"] for r in resources)
    assert kinds == {
        "Patient": 1,
        "Coverage": 2,
        "Encounter": 2,
        "Appointment": 3,
        # 8 from internal medicine, 2 visual acuities, 1 ultrasound finding, 1 classification
        "Observation": 12,
        "Condition": 4,
        "MedicationDispense": 2,
        "Medication": 1,
        "Organization": 2,
        "Location": 2,
    }
    text = json.dumps(resources)
    assert record.other["id"] not in text
    assert record.other["national_id"] not in text
    for resource in resources:
        for field in ("subject", "beneficiary"):
            if field in resource:
                assert resource[field]["reference"] == f"Patient/{record.person['id']}"
    # Every resource reads back the same on its own.
    for resource in resources:
        response = await client.get(f"{FHIR}/{resource['resourceType']}/{resource['id']}")
        assert response.status_code == 200, response.text
        assert response.json() == resource


async def test_patient_mapping(client: httpx.AsyncClient, record: Record) -> None:
    patient = (await client.get(f"{FHIR}/Patient/{record.person['id']}")).json()
    assert patient["name"][0] == {
        "use": "official",
        "text": "Đặng Văn Ân",
        "family": "Đặng",
        "given": ["Văn Ân"],
    }
    assert patient["birthDate"] == "1948-03-02"
    assert {(i["system"], i["value"]) for i in patient["identifier"]} == {
        (CCCD_SYSTEM, record.person["national_id"]),
        (BHYT_SYSTEM, record.person["bhxh_number"]),
    }
    ethnicity, *categories = patient["extension"]
    assert ethnicity["valueCoding"]["code"] == "03"
    wounded = next(
        c for c in categories if c["extension"][0]["valueCoding"]["code"] == "wounded-soldier"
    )
    assert wounded["extension"][1]["valueQuantity"]["value"] == 61
    observations = entries(
        (await client.get(f"{FHIR}/Observation", params={"patient": record.person["id"]})).json()
    )
    codes = {o["code"]["coding"][0]["code"]: o for o in observations}
    assert codes["85354-9"]["component"][0]["valueQuantity"] == {
        "value": 150,
        "unit": "mm[Hg]",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    assert codes["8310-5"]["valueQuantity"]["code"] == "Cel"
    assert codes["health-class"]["valueCodeableConcept"]["coding"][0]["code"] == "III"
    conditions = entries(
        (
            await client.get(
                f"{FHIR}/Condition", params={"patient": f"Patient/{record.person['id']}"}
            )
        ).json()
    )
    assert {c["code"]["coding"][0]["code"] for c in conditions} == {
        "I10",
        "E11.9",
        "H25.9",
        "K76.0",
    }
    assert all(
        c["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10" for c in conditions
    )


async def _find(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(f"{FHIR}/Patient", params=params)
    assert response.status_code == 200, response.text
    return [r["id"] for r in entries(response.json())]


async def test_identifier_search_by_cccd_and_insurance_number(client_for, record: Record) -> None:
    scheduler = await client_for(Role.scheduler, province_wide=False, facility_ids=[])
    person, me = record.person, [record.person["id"]]
    assert await _find(scheduler, identifier=f"{CCCD_SYSTEM}|{person['national_id']}") == me
    assert await _find(scheduler, identifier=f"{BHYT_SYSTEM}|{person['bhxh_number']}") == me
    assert await _find(scheduler, identifier=f"{BHYT_SYSTEM}|CB211{person['bhxh_number']}") == me
    assert await _find(scheduler, identifier=person["national_id"]) == me
    # A value under the wrong system, or an unknown system, matches nobody.
    assert await _find(scheduler, identifier=f"{BHYT_SYSTEM}|{person['national_id']}") == []
    assert await _find(scheduler, identifier=f"urn:other|{person['national_id']}") == []
    coverage = entries(
        (await scheduler.get(f"{FHIR}/Coverage", params={"patient": person["id"]})).json()
    )
    assert coverage == [], "out of the scheduler's scope: the cards are not listed"


async def test_name_and_birthdate_search(client: httpx.AsyncClient, record: Record) -> None:
    me = record.person["id"]
    assert me in await _find(client, name="dang van an")
    assert me in await _find(client, name="ĐẶNG ân")
    assert me in await _find(client, name="dang", birthdate="1948")
    assert me in await _find(client, name="dang", birthdate="1948-03-02")
    assert me not in await _find(client, name="dang", birthdate="1948-03-03")
    assert me in await _find(client, name="dang", birthdate=["ge1940", "le1950"])
    assert me not in await _find(client, name="dang", birthdate="gt1948")


async def test_search_pages_by_keyset_links(client: httpx.AsyncClient, record: Record) -> None:
    response = await client.get(
        f"{FHIR}/Observation", params={"patient": record.person["id"], "_count": 1}
    )
    first = response.json()
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "_count=1" in links["self"]
    seen = [r["id"] for r in entries(first)]
    url = links.get("next")
    while url:
        page = (await client.get(url)).json()
        seen += [r["id"] for r in entries(page)]
        url = {link["relation"]: link["url"] for link in page["link"]}.get("next")
    assert len(seen) == len(set(seen)) == 12


async def test_reporter_sees_masked_registry_and_no_clinical_resource(
    client_for, record: Record
) -> None:
    reporter = await client_for(Role.reporter)
    patient = (await reporter.get(f"{FHIR}/Patient/{record.person['id']}")).json()
    validate(patient)
    assert all(i["value"].startswith("****") for i in patient["identifier"])
    assert patient["meta"]["security"][0]["code"] == "REDACTED"
    resources = await everything(reporter, record.person["id"])
    assert {r["resourceType"] for r in resources} == {"Patient", "Coverage"}
    assert record.person["national_id"] not in json.dumps(resources)
    for path in ("Observation", "Condition", "Encounter", "Appointment", "MedicationDispense"):
        body = outcome(
            await reporter.get(f"{FHIR}/{path}", params={"patient": record.person["id"]}), 403
        )
        assert body["issue"][0]["code"] == "forbidden"


async def test_facility_scope_applies(client_for, record: Record) -> None:
    second = record.clinics[1]["id"]
    clinician = await client_for(Role.clinician, province_wide=False, facility_ids=[second])
    resources = await everything(clinician, record.person["id"])
    encounters = [r["id"] for r in resources if r["resourceType"] == "Encounter"]
    assert encounters == [record.checkups[1]["id"]]
    assert not any(r["resourceType"] == "MedicationDispense" for r in resources)
    outcome(await clinician.get(f"{FHIR}/Encounter/{record.checkups[0]['id']}"), 404)
    outcome(await clinician.get(f"{FHIR}/Observation/{record.checkups[0]['id']}-health-class"), 404)
    outsider = await client_for(Role.scheduler, province_wide=False, facility_ids=[])
    outcome(await outsider.get(f"{FHIR}/Patient/{record.person['id']}"), 404)


async def test_a_patient_read_is_audited(
    client: httpx.AsyncClient, record: Record, session: AsyncSession
) -> None:
    response = await client.get(f"{FHIR}/Patient/{record.person['id']}")
    events = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.request_id == response.headers["x-request-id"])
        )
    ).all()
    assert [(e.action, e.resource_type, e.operation) for e in events] == [
        ("read", "beneficiary", "fhir_read_patient")
    ]
    assert events[0].beneficiary_id == uuid.UUID(record.person["id"])
    response = await client.get(f"{FHIR}/Patient/{record.person['id']}/$everything")
    events = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.request_id == response.headers["x-request-id"])
        )
    ).all()
    assert {e.resource_type for e in events} == {"beneficiary", "patient_record"}


async def test_errors_are_operation_outcomes(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    missing = uuid.uuid4()
    assert (
        outcome(await client.get(f"{FHIR}/Patient/{missing}"), 404)["issue"][0]["code"]
        == "not-found"
    )
    outcome(await client.get(f"{FHIR}/Patient/not-an-id"), 404)
    outcome(await client.get(f"{FHIR}/Observation/{missing}-weight"), 404)
    outcome(await client.get(f"{FHIR}/Observation/whatever"), 404)
    outcome(await client.get(f"{FHIR}/Basic"), 404)
    outcome(await client.get(f"{FHIR}/Patient", params={"birthdate": "1948-02-31"}), 400)
    outcome(await client.get(f"{FHIR}/Patient", params={"birthdate": "ge1948-02-01"}), 400)
    outcome(await client.get(f"{FHIR}/Patient", params={"birthdate": "yesterday"}), 400)
    outcome(await client.get(f"{FHIR}/Patient", params={"_count": -1}), 400)
    outcome(await client.get(f"{FHIR}/Patient", params={"_count": 201}), 400)
    outcome(await client.get(f"{FHIR}/Patient", params={"_cursor": "garbage"}), 400)
    outcome(await client.get(f"{FHIR}/Encounter", params={"date": "0000"}), 400)
    outcome(await client.get(f"{FHIR}/Coverage", params={"patient": f"Encounter/{missing}"}), 400)
    response = await client.post(f"{FHIR}/Patient", json={"resourceType": "Patient"})
    outcome(response, 405)
    assert response.headers["allow"] == "GET"
    response = await anon_client.get(f"{FHIR}/Patient")
    assert outcome(response, 401)["issue"][0]["code"] == "login"
    assert response.headers["www-authenticate"].startswith("Bearer")
    # Unknown search parameters are ignored, as FHIR servers do by default (test_search.py).
    assert (await client.get(f"{FHIR}/Patient", params={"_foo": "bar"})).status_code == 200


async def test_capability_statement_is_public_and_valid(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get(f"{FHIR}/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"] == FHIR_JSON
    statement = validate(response.json())
    types = {r.type for r in statement.rest[0].resource}
    assert {"Patient", "Observation", "MedicationDispense", "Coverage"} <= types


async def test_each_role_gets_its_part_of_the_record(client_for, record: Record) -> None:
    scheduler = await client_for(Role.scheduler)
    resources = await everything(scheduler, record.person["id"])
    kinds = {r["resourceType"] for r in resources}
    assert {"Patient", "Coverage", "Encounter", "Appointment"} <= kinds
    assert not kinds & {"Observation", "Condition", "MedicationDispense", "Medication"}
    assert not any("diagnosis" in r for r in resources if r["resourceType"] == "Encounter")
    encounter = (await scheduler.get(f"{FHIR}/Encounter/{record.checkups[0]['id']}")).json()
    assert "diagnosis" not in encounter
    pharmacist = await client_for(Role.pharmacist)
    kinds = {r["resourceType"] for r in await everything(pharmacist, record.person["id"])}
    assert {"MedicationDispense", "Medication"} <= kinds
    assert not kinds & {"Observation", "Condition", "Encounter", "Appointment"}
    clinician = await client_for(Role.clinician)
    encounter = (await clinician.get(f"{FHIR}/Encounter/{record.checkups[0]['id']}")).json()
    ranks = [d.get("rank") for d in encounter["diagnosis"]]
    assert sorted(ranks, key=str) == [1, 1, None], "one principal diagnosis per examination"


async def test_facilities_and_services(client: httpx.AsyncClient, record: Record) -> None:
    clinic = record.clinics[0]
    system = FACILITY_CODE_SYSTEM
    for resource_type in ("Organization", "Location"):
        found = entries(
            (
                await client.get(
                    f"{FHIR}/{resource_type}", params={"identifier": f"{system}|{clinic['code']}"}
                )
            ).json()
        )
        assert [r["id"] for r in found] == [clinic["id"]]
        other = await client.get(
            f"{FHIR}/{resource_type}", params={"identifier": f"urn:other|{clinic['code']}"}
        )
        assert entries(other.json()) == []
    services = entries(
        (
            await client.get(
                f"{FHIR}/HealthcareService", params={"organization": f"Organization/{clinic['id']}"}
            )
        ).json()
    )
    assert len(services) == 3
    for service in services:
        assert service["providedBy"]["reference"] == f"Organization/{clinic['id']}"
        assert service["availableTime"][0]["daysOfWeek"][0] == "mon"
        read = await client.get(f"{FHIR}/HealthcareService/{service['id']}")
        assert read.json() == service
    medications = entries(
        (await client.get(f"{FHIR}/Medication", params={"code": "N02BE01"})).json()
    )
    assert medications
    assert all(
        m["code"]["coding"][0] == {"system": "http://www.whocc.no/atc", "code": "N02BE01"}
        for m in medications
    )


async def test_a_refused_patient_read_is_audited_with_the_person(
    client_for, record: Record, session: AsyncSession
) -> None:
    outsider = await client_for(Role.scheduler, province_wide=False, facility_ids=[])
    response = await outsider.get(f"{FHIR}/Patient/{record.person['id']}")
    outcome(response, 404)
    events = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.request_id == response.headers["x-request-id"])
        )
    ).all()
    assert [(e.outcome, e.beneficiary_id) for e in events] == [
        ("failed", uuid.UUID(record.person["id"]))
    ]
