"""What the OpenAPI document promises beyond FastAPI's own output, and the API keeping it."""

from typing import Any

import httpx

from tests.document import HTTP_METHODS, openapi_document
from tests.factories import create_facility


def _operations() -> dict[str, dict[str, Any]]:
    document = openapi_document()
    return {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_if_match_is_required_wherever_its_absence_is_refused() -> None:
    for name, operation in _operations().items():
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if "428" in operation["responses"] and name != "conclude_checkup":
            assert headers["if-match"]["required"] is True, name
    # The first conclusion is written without one; replacing it needs it.
    conclude = _operations()["conclude_checkup"]
    assert [p["required"] for p in conclude["parameters"] if p["name"] == "if-match"] == [False]


def test_creates_link_to_what_they_created() -> None:
    operations = _operations()
    links = operations["create_beneficiary"]["responses"]["201"]["links"]
    assert links["get_beneficiary"]["parameters"] == {"path.beneficiary_id": "$response.body#/id"}
    assert links["update_beneficiary"]["parameters"]["header.if-match"] == "$response.header.ETag"
    assert links["book_checkup"]["requestBody"] == {"beneficiary_id": "$response.body#/id"}
    booked = operations["book_checkup"]["responses"]["201"]["links"]
    assert booked["record_result"]["parameters"] == {
        "path.appointment_id": "$response.body#/appointments/0/id"
    }
    read = operations["get_facility"]["responses"]["200"]["links"]
    assert read["update_facility"]["parameters"]["header.if-match"] == "$response.header.ETag"
    for name, operation in operations.items():
        for link in operation["responses"].get("201", {}).get("links", {}).values():
            assert link["operationId"] in operations, (name, link)


def test_schema_names_are_fit_for_generated_clients() -> None:
    names = openapi_document()["components"]["schemas"]
    assert not [name for name in names if name.startswith("Body_")]
    assert {"TokenRequest", "BeneficiaryImportUpload"} <= set(names)


async def test_a_json_number_without_a_fraction_is_an_integer(client: httpx.AsyncClient) -> None:
    """JSON Schema (and so every generated client and fuzzer) counts 30.0 as an integer."""
    facility = await create_facility(client)
    response = await client.post(
        f"/api/v1/facilities/{facility['id']}/services",
        json={
            "specialty_code": "ultrasound",
            "timetable": [{"weekday": 1.0, "part_of_day": "morning"}],
            "default_capacity": 30.0,
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["default_capacity"] == 30
    fraction = await client.post(
        f"/api/v1/facilities/{facility['id']}/services",
        json={
            "specialty_code": "ophthalmology",
            "timetable": [{"weekday": 2, "part_of_day": "morning"}],
            "default_capacity": 30.5,
        },
    )
    assert fraction.status_code == 422, fraction.text


def test_the_problem_schema_declares_the_members_problems_carry() -> None:
    """A duplicate carries `fields` and `existing_id`, a rule on one field `field`, a
    validation error `errors`: a client generated from the document can read them (issue 22)."""
    problem = openapi_document()["components"]["schemas"]["Problem"]["properties"]
    assert {"errors", "field", "fields", "existing_id"} <= set(problem)
    assert all(problem[name].get("description") for name in ("field", "fields", "existing_id"))
