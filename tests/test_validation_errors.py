"""One shape for every validation error: a rule on the request's own input (a range that ends
before it starts, a field that contradicts another) is `422 validation-error` with the fields in
`errors[]`, whether the framework or a route found it."""

import uuid

import httpx
import pytest

from tests.test_conventions import assert_problem
from veteran_care.models import Role

BACKWARDS = {"date_from": "2027-07-27", "date_to": "2027-07-01"}

# Every GET that takes a range of days as two query parameters: (path, extra params, the range's
# two parameter names).
RANGES = [
    ("/api/v1/reports/attendance", {}, ("date_from", "date_to")),
    ("/api/v1/reports/attendance/people", {}, ("date_from", "date_to")),
    ("/api/v1/reports/dispensing", {}, ("date_from", "date_to")),
    ("/api/v1/reports/health", {}, ("date_from", "date_to")),
    ("/api/v1/dispenses", {}, ("dispensed_from", "dispensed_to")),
    ("/api/v1/sessions", {}, ("date_from", "date_to")),
    ("/api/v1/checkups", {}, ("date_from", "date_to")),
    (
        "/api/v1/availability",
        {"facility_id": str(uuid.uuid4()), "specialty_codes": "ultrasound"},
        ("date_from", "date_to"),
    ),
]


@pytest.fixture
async def everyone(client_for) -> httpx.AsyncClient:
    return await client_for(*Role)


@pytest.mark.parametrize(("path", "params", "names"), RANGES, ids=[r[0] for r in RANGES])
async def test_a_range_that_ends_before_it_starts_is_a_validation_error(
    everyone: httpx.AsyncClient, path: str, params: dict[str, str], names: tuple[str, str]
) -> None:
    first, last = names
    query = {**params, first: BACKWARDS["date_from"], last: BACKWARDS["date_to"]}
    body = assert_problem(await everyone.get(path, params=query), 422, "validation-error")
    assert body["errors"] == [
        {
            "field": f"query.{last}",
            "message": f"{last} must be on or after {first}",
            "type": "value_error",
        }
    ]
    assert "field" not in body
    assert body["detail"] == f"Invalid input: query.{last}."


async def test_the_same_range_rule_in_a_body_is_the_same_problem(
    everyone: httpx.AsyncClient,
) -> None:
    response = await everyone.post(
        "/api/v1/sessions/generate", json={"facility_id": str(uuid.uuid4()), **BACKWARDS}
    )
    body = assert_problem(response, 422, "validation-error")
    assert [error["type"] for error in body["errors"]] == ["value_error"]
    assert [error["field"] for error in body["errors"]] == ["body.date_to"]
    assert "date_to must be on or after date_from" in body["errors"][0]["message"]


async def test_a_campaign_that_ends_before_it_starts_names_its_end(
    everyone: httpx.AsyncClient,
) -> None:
    response = await everyone.post(
        "/api/v1/campaigns",
        json={
            "name": "Khám sức khỏe 27/7",
            "starts_on": BACKWARDS["date_from"],
            "ends_on": BACKWARDS["date_to"],
            "facility_ids": [str(uuid.uuid4())],
            "target_categories": ["veteran"],
            "specialty_codes": ["ultrasound", "ultrasound"],
        },
    )
    body = assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["body.ends_on", "body.specialty_codes"]


async def test_a_range_too_long_names_its_end(everyone: httpx.AsyncClient) -> None:
    response = await everyone.get(
        "/api/v1/availability",
        params={
            "facility_id": str(uuid.uuid4()),
            "specialty_codes": "ultrasound",
            "date_from": "2027-01-01",
            "date_to": "2028-01-02",
        },
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "query.date_to"
    assert body["errors"][0]["message"] == "at most 366 days at a time"
