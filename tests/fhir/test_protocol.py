"""The FHIR view over HTTP (issue 22): JSON only (406 for XML, as an OperationOutcome), reads
with the version as a weak `ETag`, and a CapabilityStatement that declares exactly the search
parameters each search applies."""

from typing import Any

import httpx
import pytest

from tests.document import openapi_document
from tests.fhir.conftest import FHIR, FHIR_JSON, Record, validate
from tests.fhir.test_search import applied, one_of_each, search
from tests.fhir.test_view import outcome


async def test_xml_is_not_acceptable(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, record: Record
) -> None:
    me = record.person["id"]
    for fmt in ("xml", "application/fhir+xml", "text/xml", "html", "turtle"):
        for path in ("Patient", f"Patient/{me}", f"Patient/{me}/$everything"):
            response = await client.get(f"{FHIR}/{path}", params={"_format": fmt})
            assert outcome(response, 406)["issue"][0]["code"] == "not-supported"
    assert (await anon_client.get(f"{FHIR}/metadata", params={"_format": "xml"})).status_code == 406
    for accept in ("application/fhir+xml", "application/xml, text/html", "application/json;q=0"):
        response = await client.get(f"{FHIR}/Patient/{me}", headers={"Accept": accept})
        assert outcome(response, 406)["issue"][0]["diagnostics"].startswith("Accept")
    # JSON asked for, or acceptable among others: JSON.
    for fmt in ("json", "application/json", "application/fhir+json", "application/fhir json"):
        bundle = await search(client, "Patient", {"_id": me, "_format": fmt})
        assert ("_format", fmt) in applied(bundle)
    for accept in (
        "application/fhir+xml;q=1, application/fhir+json;q=0.5",
        "application/fhir+xml, */*;q=0.1",
        "application/json",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ):
        response = await client.get(f"{FHIR}/Patient/{me}", headers={"Accept": accept})
        assert response.status_code == 200, accept
        assert response.headers["content-type"] == FHIR_JSON


async def test_a_read_sends_its_version_as_a_weak_etag(
    client: httpx.AsyncClient, record: Record
) -> None:
    for resource in (await one_of_each(client, record)).values():
        response = await client.get(f"{FHIR}/{resource['resourceType']}/{resource['id']}")
        assert response.status_code == 200, response.text
        version = response.json()["meta"]["versionId"]
        assert response.headers["etag"] == f'W/"{version}"'
        assert response.headers["last-modified"].endswith(" GMT")
    me = record.person["id"]
    before = await client.get(f"{FHIR}/Patient/{me}")
    assert before.headers["etag"] == 'W/"1"'
    assert before.json()["meta"]["versionId"] == "1"
    api = await client.get(f"/api/v1/beneficiaries/{me}")
    changed = await client.patch(
        f"/api/v1/beneficiaries/{me}",
        json={"address_line": "Số 3 Trần Phú"},
        headers={"If-Match": api.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    after = await client.get(f"{FHIR}/Patient/{me}")
    assert after.headers["etag"] == 'W/"2"'
    assert after.json()["meta"]["versionId"] == "2"


def _declared(statement: dict[str, Any]) -> dict[str, set[str]]:
    return {
        r["type"]: {p["name"] for p in r["searchParam"]} for r in statement["rest"][0]["resource"]
    }


async def test_the_capability_statement_declares_what_each_search_applies(
    anon_client: httpx.AsyncClient,
) -> None:
    statement = (await anon_client.get(f"{FHIR}/metadata")).json()
    validate(statement)
    declared = _declared(statement)
    assert len(declared) == 11
    for resource_type, names in declared.items():
        assert {"_id", "_count", "_summary", "_elements"} <= names
        assert not names & {"_include", "_revinclude", "_total", "_cursor", "_format"}
        # The search's query parameters in the OpenAPI document are these, plus paging and format.
        operation = openapi_document()["paths"][f"{FHIR}/{resource_type}"]["get"]
        query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert query == names | {"_sort", "_cursor", "_format"}, resource_type
    assert "_sort" in declared["Patient"]
    assert "_sort" in declared["Encounter"]
    assert "_sort" not in declared["Observation"]
    for resource in statement["rest"][0]["resource"]:
        assert "searchInclude" not in resource
        assert resource["versioning"] == "versioned"


@pytest.mark.parametrize(
    ("resource_type", "parameter", "value"),
    [
        ("Patient", "identifier", "urn:other|1"),
        ("Patient", "name", "zzz"),
        ("Patient", "birthdate", "1800"),
        ("Organization", "active", "false"),
        ("Location", "status", "inactive"),
        ("HealthcareService", "organization", "00000000-0000-0000-0000-000000000000"),
        ("Medication", "code", "Z99"),
        ("Coverage", "patient", "00000000-0000-0000-0000-000000000000"),
        ("Encounter", "status", "cancelled"),
        ("Appointment", "encounter", "00000000-0000-0000-0000-000000000000"),
        ("Condition", "encounter", "00000000-0000-0000-0000-000000000000"),
        ("MedicationDispense", "patient", "00000000-0000-0000-0000-000000000000"),
        ("Observation", "patient", "00000000-0000-0000-0000-000000000000"),
    ],
)
async def test_every_declared_parameter_is_applied(
    client: httpx.AsyncClient, record: Record, resource_type: str, parameter: str, value: str
) -> None:
    """A declared filter is applied (and said so in `self`), even under strict handling."""
    bundle = await search(
        client, resource_type, {parameter: value}, headers={"Prefer": "handling=strict"}
    )
    assert applied(bundle) == [(parameter, value)]
    assert bundle.get("entry") is None, "a filter that matches nothing in the record"
    assert bundle["total"] == 0
