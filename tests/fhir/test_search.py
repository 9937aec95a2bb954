"""FHIR search that says what it did (issue 22): `_id` on every type, `_summary=count` and
`_count=0`, `Bundle.total`, `_elements`, `_sort`, unknown parameters (left out of `self`, or 400
under `Prefer: handling=strict`), and `identifier=system|`."""

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.fhir.conftest import FHIR, FHIR_JSON, Record, entries, validate
from tests.fhir.test_view import everything, outcome
from veteran_care.fhir.codes import (
    BHYT_SYSTEM,
    CCCD_SYSTEM,
    FACILITY_CODE_SYSTEM,
)
from veteran_care.models import Role

STRICT = {"Prefer": "handling=strict"}


async def search(
    client: httpx.AsyncClient, resource_type: str, params: Any = None, **kwargs: Any
) -> dict[str, Any]:
    response = await client.get(f"{FHIR}/{resource_type}", params=params, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == FHIR_JSON
    body: dict[str, Any] = response.json()
    entries(body)
    return body


def ids(bundle: dict[str, Any]) -> list[str]:
    return [r["id"] for r in entries(bundle)]


def link(bundle: dict[str, Any], relation: str = "self") -> str | None:
    return next((k["url"] for k in bundle["link"] if k["relation"] == relation), None)


def applied(bundle: dict[str, Any]) -> list[tuple[str, str]]:
    url = link(bundle)
    assert url is not None
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


async def every_page(
    client: httpx.AsyncClient, resource_type: str, params: dict[str, Any]
) -> list[str]:
    bundle = await search(client, resource_type, params)
    found = ids(bundle)
    while url := link(bundle, "next"):
        bundle = (await client.get(url)).json()
        found += ids(bundle)
    return found


async def one_of_each(client: httpx.AsyncClient, record: Record) -> dict[str, dict[str, Any]]:
    """A resource of every type: the record's, and a HealthcareService of its first clinic."""
    found: dict[str, dict[str, Any]] = {}
    for resource in await everything(client, record.person["id"]):
        found.setdefault(resource["resourceType"], resource)
    clinic = record.clinics[0]["id"]
    services = await search(client, "HealthcareService", {"organization": clinic})
    found["HealthcareService"] = entries(services)[0]
    return found


async def test_id_finds_exactly_the_resources_named_on_every_type(
    client: httpx.AsyncClient, record: Record
) -> None:
    resources = await one_of_each(client, record)
    assert len(resources) == 11
    for resource_type, resource in resources.items():
        bundle = await search(client, resource_type, {"_id": resource["id"]})
        assert ids(bundle) == [resource["id"]], resource_type
        assert bundle["total"] == 1
        assert applied(bundle) == [("_id", resource["id"])]
        for unknown in (f"{resource['id'][:-3]}000", "not-an-id", "x" * 64):
            empty = await search(client, resource_type, {"_id": unknown})
            assert "entry" not in empty, (resource_type, unknown)
            assert empty["total"] == 0
    # A list is any of its ids; one that matches nothing does not spoil the others.
    people = f"{record.person['id']},{record.other['id']},nobody"
    assert set(ids(await search(client, "Patient", {"_id": people}))) == {
        record.person["id"],
        record.other["id"],
    }
    # `_id` is one more filter: with another one that excludes the resource, nothing.
    me = record.person["id"]
    assert ids(await search(client, "Patient", {"_id": me, "birthdate": "1950"})) == []
    theirs = [
        o["id"]
        for o in await everything(client, record.other["id"])
        if o["resourceType"] == "Observation"
    ]
    assert theirs
    assert ids(await search(client, "Observation", {"_id": theirs[0], "patient": me})) == []
    assert ids(await search(client, "Observation", {"_id": theirs[0]})) == [theirs[0]]
    outcome(await client.get(f"{FHIR}/Patient", params={"_id": ",".join(map(str, range(51)))}), 400)


async def test_id_search_keeps_the_facility_scope(
    client: httpx.AsyncClient, client_for, record: Record
) -> None:
    """A clinician of the second clinic: `_id` finds what is there, nothing of the first."""
    second = record.clinics[1]["id"]
    clinician = await client_for(Role.clinician, province_wide=False, facility_ids=[second])
    resources = await everything(client, record.person["id"])
    for resource_type in ("Encounter", "Observation", "Condition"):
        named = {r["id"] for r in resources if r["resourceType"] == resource_type}
        visible = set(ids(await search(clinician, resource_type, {})))
        assert visible, resource_type
        hidden = ",".join(named - visible)
        assert hidden, resource_type
        assert ids(await search(clinician, resource_type, {"_id": hidden})) == []
        listed = f"{hidden},{min(visible)}"
        assert ids(await search(clinician, resource_type, {"_id": listed})) == [min(visible)]
    assert ids(await search(clinician, "Patient", {"_id": record.other["id"]})) == []
    both = f"{record.person['id']},{record.other['id']}"
    assert ids(await search(clinician, "Patient", {"_id": both})) == [record.person["id"]]


COUNTED = [
    ("Patient", {}),
    ("Coverage", {}),
    ("Organization", {}),
    ("Location", {"status": "active"}),
    ("HealthcareService", {}),
    ("Medication", {"code": "N02"}),
    ("Appointment", {}),
    ("Encounter", {"date": "ge2000"}),
    ("Observation", {}),
    ("Condition", {}),
    ("MedicationDispense", {}),
]


@pytest.mark.parametrize("patient_only", [False, True], ids=["all", "of-the-patient"])
async def test_summary_count_and_count_zero_give_the_total_only(
    client: httpx.AsyncClient, record: Record, patient_only: bool
) -> None:
    for resource_type, params in COUNTED:
        if patient_only:
            if resource_type in ("Organization", "Location", "HealthcareService", "Medication"):
                continue
            key = "_id" if resource_type == "Patient" else "patient"
            params = {**params, key: record.person["id"]}
        listed = await every_page(client, resource_type, {**params, "_count": 2})
        assert len(listed) == len(set(listed))
        for result in ({"_summary": "count"}, {"_count": 0}):
            bundle = await search(client, resource_type, {**params, **result})
            assert bundle["total"] == len(listed), (resource_type, params, result)
            assert "entry" not in bundle
            assert link(bundle, "next") is None
    # 8 from internal medicine, 2 visual acuities, 1 ultrasound finding, 1 classification
    observations = await search(
        client, "Observation", {"patient": record.person["id"], "_summary": "count"}
    )
    assert observations["total"] == 12


async def test_total_only_where_it_is_cheap(client: httpx.AsyncClient, record: Record) -> None:
    whole = await search(client, "Condition", {"patient": record.person["id"]})
    assert whole["total"] == len(ids(whole)) == 4
    first = await search(client, "Condition", {"patient": record.person["id"], "_count": 1})
    assert "total" not in first, "a page that is not the whole result: no count of every match"
    assert link(first, "next")


async def test_an_observation_id_search_counts_what_it_lists(
    client: httpx.AsyncClient, record: Record
) -> None:
    checkup = record.checkups[0]["id"]
    observations = [
        r
        for r in await everything(client, record.person["id"])
        if r["resourceType"] == "Observation"
    ]
    weight = next(o["id"] for o in observations if o["id"].endswith("-weight"))
    wanted = f"{weight},{checkup}-health-class,{checkup}-weight"
    bundle = await search(client, "Observation", {"_id": wanted})
    assert sorted(ids(bundle)) == sorted([weight, f"{checkup}-health-class"])
    counted = await search(client, "Observation", {"_id": wanted, "_summary": "count"})
    assert counted["total"] == 2


async def test_unknown_parameters_are_left_out_or_refused_under_strict_handling(
    client: httpx.AsyncClient, record: Record
) -> None:
    me = record.person["id"]
    unsupported = {
        "foo": "bar",
        "_include": "Patient:organization",
        "name:exact": "x",
        "_summary": "true",
        "_sort": "birthdate",
        "_elements": "name.family",
        "_total": "accurate",
    }
    bundle = await search(client, "Patient", {"_id": me, "_count": 5, **unsupported})
    assert ids(bundle) == [me]
    assert applied(bundle) == [("_id", me), ("_count", "5")]
    assert "entry" in bundle, "_summary=true was not applied"
    assert set(bundle["entry"][0]["resource"]) > {"name", "gender"}, "nor _elements"
    response = await client.get(
        f"{FHIR}/Patient", params={"_id": me, **unsupported}, headers=STRICT
    )
    body = outcome(response, 400)
    assert body["issue"][0]["code"] == "not-supported"
    for name in ("foo", "_include", "name:exact", "_summary=true", "_sort=birthdate", "_total"):
        assert name in body["issue"][0]["diagnostics"]
    # A single-valued parameter given twice is malformed, whatever the handling.
    for name, values in (
        ("_sort", ["name", "-name"]),
        ("_count", [1, 2]),
        ("_format", ["json"] * 2),
    ):
        response = await client.get(f"{FHIR}/Patient", params={name: values})
        assert name in outcome(response, 400)["issue"][0]["diagnostics"]
    # What is supported passes under strict handling too; $everything takes no parameters.
    strict = await search(client, "Patient", {"_id": me, "_summary": "count"}, headers=STRICT)
    assert strict["total"] == 1
    response = await client.get(f"{FHIR}/Patient/{me}/$everything", params={"_type": "Patient"})
    assert urlsplit(link(response.json()) or "").query == ""
    response = await client.get(
        f"{FHIR}/Patient/{me}/$everything", params={"_type": "Patient"}, headers=STRICT
    )
    assert "_type" in outcome(response, 400)["issue"][0]["diagnostics"]


async def test_elements_returns_what_was_asked_and_what_is_mandatory(
    client: httpx.AsyncClient, record: Record
) -> None:
    me = record.person["id"]
    bundle = await search(client, "Patient", {"_id": me, "_elements": "name,birthDate"})
    patient = entries(bundle)[0]
    assert set(patient) == {"resourceType", "id", "meta", "name", "birthDate"}
    assert {"code": "SUBSETTED"}.items() <= patient["meta"]["tag"][0].items()
    assert ("_elements", "name,birthDate") in applied(bundle)
    cards = entries(await search(client, "Coverage", {"patient": me, "_elements": "period"}))
    for card in cards:
        assert set(card) == {
            *("resourceType", "id", "meta", "period"),
            *("status", "beneficiary", "payor"),  # mandatory in R4
        }
        validate(card)
    observations = entries(
        await search(client, "Observation", {"patient": me, "_elements": "value,subject"})
    )
    weight = next(o for o in observations if o["id"].endswith("-weight"))
    assert set(weight) == {"resourceType", "id", "meta", "status", "code"} | {
        "valueQuantity",
        "subject",
    }


async def test_sort_orders_and_pages_the_search(client: httpx.AsyncClient, record: Record) -> None:
    ascending = ids(await search(client, "Patient", {"_sort": "name"}))
    descending = await every_page(client, "Patient", {"_sort": "-name", "_count": 1})
    assert len(ascending) >= 2
    assert descending == ascending[::-1]
    bundle = await search(client, "Patient", {"_sort": "-name", "_count": 1})
    assert ("_sort", "-name") in applied(bundle)
    assert "_sort=-name" in (link(bundle, "next") or "")
    # _lastUpdated: the person changed last comes first.
    other = record.other["id"]
    etag = (await client.get(f"/api/v1/beneficiaries/{other}")).headers["etag"]
    changed = await client.patch(
        f"/api/v1/beneficiaries/{other}",
        json={"address_line": "Số 1 Lê Lợi"},
        headers={"If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    latest = await every_page(client, "Patient", {"_sort": "-_lastUpdated", "_count": 1})
    assert latest[0] == other
    oldest = await every_page(client, "Patient", {"_sort": "_lastUpdated", "_count": 1})
    assert oldest == latest[::-1]
    encounters = ids(await search(client, "Encounter", {"_sort": "date"}))
    assert encounters == ids(await search(client, "Encounter", {"_sort": "-date"}))[::-1]
    # Observations take no _sort: left out (lenient), refused (strict).
    bundle = await search(client, "Observation", {"_sort": "date"})
    assert applied(bundle) == []


async def test_identifier_with_a_system_and_no_value_is_any_of_that_system(
    client: httpx.AsyncClient, client_for, record: Record
) -> None:
    people = {record.person["id"], record.other["id"]}
    for system in (CCCD_SYSTEM, BHYT_SYSTEM):
        found = await every_page(client, "Patient", {"identifier": f"{system}|"})
        assert people <= set(found)
    assert ids(await search(client, "Patient", {"identifier": "urn:other|"})) == []
    # Not an exact identifier: within the caller's scope, unlike `system|value`.
    outsider = await client_for(Role.scheduler, province_wide=False, facility_ids=[])
    exact = f"{CCCD_SYSTEM}|{record.person['national_id']}"
    assert ids(await search(outsider, "Patient", {"identifier": exact})) == [record.person["id"]]
    assert ids(await search(outsider, "Patient", {"identifier": f"{CCCD_SYSTEM}|"})) == []
    facilities = await every_page(
        client, "Organization", {"identifier": f"{FACILITY_CODE_SYSTEM}|"}
    )
    assert {c["id"] for c in record.clinics} <= set(facilities)
    assert len(facilities) == (await search(client, "Organization", {"_count": 0}))["total"]
    atc = await search(client, "Medication", {"code": "http://www.whocc.no/atc|", "_count": 0})
    assert atc["total"] == (await search(client, "Medication", {"_count": 0}))["total"] > 0
