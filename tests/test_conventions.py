"""API conventions every route follows: problem+json errors, bounded input, OpenAPI."""

import httpx
import pytest

from tests.factories import beneficiary_payload
from veteran_care.errors import PROBLEM_MEDIA_TYPE


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["type"].endswith(body["code"])
    assert body["title"]
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert_problem(response, 404, "not-found")


async def test_wrong_method_is_a_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/beneficiaries")
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["allow"]


async def test_validation_error_lists_the_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/beneficiaries", json={"full_name": "", "sex": "robot", "birth_year": 1950}
    )
    body = assert_problem(response, 422, "validation-error")
    fields = {error["field"] for error in body["errors"]}
    assert {"body.full_name", "body.sex"} <= fields


async def test_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/beneficiaries", json=beneficiary_payload(is_admin=True))
    body = assert_problem(response, 422)
    assert any(error["field"] == "body.is_admin" for error in body["errors"])


async def test_nul_byte_is_refused_and_nothing_written(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(full_name="Lò Văn\x00Pọm")
    response = await client.post("/api/v1/beneficiaries", json=payload)
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "body.full_name"
    found = await client.get("/api/v1/beneficiaries", params={"q": payload["national_id"]})
    assert found.json()["items"] == []


async def test_nul_byte_in_a_query_parameter_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/beneficiaries", params={"q": "an\x00"})
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("field", "value"),
    [("birth_year", 10**20), ("birth_year", -1), ("birth_year", 2**31)],
)
async def test_oversized_integers_are_refused(
    client: httpx.AsyncClient, field: str, value: int
) -> None:
    response = await client.post(
        "/api/v1/beneficiaries", json=beneficiary_payload(**{field: value})
    )
    assert_problem(response, 422)


async def test_oversized_disability_rate_is_refused(client: httpx.AsyncClient) -> None:
    payload = beneficiary_payload(
        categories=[{"code": "wounded-soldier", "disability_rate": 2**63}]
    )
    response = await client.post("/api/v1/beneficiaries", json=payload)
    assert_problem(response, 422)


async def test_oversized_limit_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/beneficiaries", params={"limit": 10**30})
    assert_problem(response, 422)
    response = await client.get("/api/v1/beneficiaries", params={"limit": 201})
    assert_problem(response, 422)


async def test_malformed_json_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/beneficiaries",
        content=b'{"full_name": ',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 422)


async def test_malformed_uuid_in_path_is_a_404(client: httpx.AsyncClient) -> None:
    """Ids are UUIDs: anything else names no resource (and never another route)."""
    response = await client.get("/api/v1/beneficiaries/not-a-uuid")
    assert_problem(response, 404)


async def test_a_literal_path_is_not_taken_for_an_id(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/v1/sessions/generate", json={})
    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"
    response = await client.request("OPTIONS", "/api/v1/appointments/mark-noshows")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("value", [0, "0", 20270727, "27/07/2027", "2027-07-27T00:00:00"])
async def test_dates_are_iso_dates_only(client: httpx.AsyncClient, value: object) -> None:
    response = await client.post(
        "/api/v1/beneficiaries", json=beneficiary_payload(birth_date=value, birth_year=None)
    )
    assert_problem(response, 422)
    response = await client.get("/api/v1/sessions", params={"date_to": value})
    assert_problem(response, 422)


async def test_null_for_a_bounded_list_is_refused_cleanly(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/beneficiaries", json=beneficiary_payload())
    response = await client.patch(
        f"/api/v1/beneficiaries/{created.json()['id']}",
        json={"categories": None},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code in (200, 422)


async def test_every_operation_has_a_stable_id_summary_and_documented_errors(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation_ids = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation.get("tags"), f"{method} {path} has no tag"
            errors = [code for code in operation["responses"] if code.startswith(("4", "5"))]
            if path.startswith("/api/v1"):
                assert {"422", "503"} <= set(errors), f"{method} {path}"
                for code in errors:
                    content = operation["responses"][code]["content"]
                    assert list(content) == [PROBLEM_MEDIA_TYPE], f"{method} {path} {code}"
    assert len(operation_ids) == len(set(operation_ids))
    assert "create_beneficiary" in operation_ids


async def test_docs_page_loads(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


async def test_allow_header_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.request("OPTIONS", "/api/v1/beneficiaries")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"
    response = await client.put("/api/v1/facilities/0f8fad5b-d9cb-469f-a165-70867728950e")
    assert response.headers["allow"] == "GET, PATCH"


async def test_json_types_are_not_coerced(client: httpx.AsyncClient) -> None:
    """The schema says integer and boolean: "1950" and 0 are refused, not guessed at."""
    response = await client.post(
        "/api/v1/beneficiaries", json=beneficiary_payload(birth_year="1950")
    )
    assert_problem(response, 422)
    response = await client.post(
        "/api/v1/facilities",
        json={"code": "11095", "name": "X", "level": "military-hospital"},
    )
    facility = response.json()
    response = await client.patch(
        f"/api/v1/facilities/{facility['id']}", json={"active": 0}, headers={"If-Match": '"1"'}
    )
    assert_problem(response, 422)
