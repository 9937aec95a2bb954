"""JSON bodies read strictly (issue 29): a body that is not JSON is a 415 naming what is
accepted, on every operation that takes one; a key sent twice is a 422 naming the key."""

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import beneficiary_payload
from tests.test_conventions import assert_problem
from veteran_care.errors import PROBLEM_MEDIA_TYPE
from veteran_care.main import create_app
from veteran_care.models import Role


def _json_body_operations() -> list[tuple[str, str]]:
    document = create_app().openapi()
    found = []
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method.upper(), template))
    return found


OPERATIONS = _json_body_operations()


@pytest.fixture
async def everyone(client_for: Any) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await client_for(*Role)
    return client


async def test_every_json_body_is_refused_in_another_media_type(
    everyone: httpx.AsyncClient, app: Any
) -> None:
    assert len(OPERATIONS) > 30
    document = app.openapi()
    for method, template in OPERATIONS:
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), template.replace("{kind}", "confirmation"))
        for headers in ({"Content-Type": "text/plain"}, {}):
            response = await everyone.request(method, path, content=b"{}", headers=headers)
            body = assert_problem(response, 415, "unsupported-media-type")
            assert body["accepted"] == ["application/json"], (method, template)
            assert "Content-Type: application/json" in body["detail"]
        documented = document["paths"][template][method.lower()]["responses"]["415"]
        assert PROBLEM_MEDIA_TYPE in documented["content"], (method, template)


async def test_json_with_parameters_or_a_json_suffix_is_json(everyone: httpx.AsyncClient) -> None:
    for media_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await everyone.post(
            "/api/v1/beneficiaries",
            content=json.dumps(beneficiary_payload()).encode(),
            headers={"Content-Type": media_type},
        )
        assert response.status_code == 201, response.text


async def test_a_key_sent_twice_is_refused_by_name(everyone: httpx.AsyncClient) -> None:
    payload = beneficiary_payload()
    raw = json.dumps(payload)
    twice = raw.replace('"birth_year": 1950', '"birth_year": 1950, "birth_year": 1915')
    response = await everyone.post(
        "/api/v1/beneficiaries", content=twice, headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [
        {
            "field": "body.birth_year",
            "message": 'The key "birth_year" appears more than once in one object: send it once.',
            "type": "duplicate_key",
        }
    ]
    found = await everyone.get("/api/v1/beneficiaries", params={"q": payload["national_id"]})
    assert found.json()["items"] == [], "a refused body wrote nothing"


async def test_a_nested_key_sent_twice_is_named_with_its_path(
    everyone: httpx.AsyncClient,
) -> None:
    raw = json.dumps(beneficiary_payload()).replace(
        '{"code": "veteran"}', '{"code": "veteran", "code": "wounded-soldier"}'
    )
    response = await everyone.post(
        "/api/v1/beneficiaries", content=raw, headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body.categories.0.code"]


async def test_malformed_json_is_still_the_frameworks_422(everyone: httpx.AsyncClient) -> None:
    response = await everyone.post(
        "/api/v1/beneficiaries",
        content=b'{"full_name": ',
        headers={"Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["type"] == "json_invalid"


async def test_a_body_nested_past_the_limit_is_a_4xx(everyone: httpx.AsyncClient) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    response = await everyone.post(
        "/api/v1/beneficiaries", content=deep, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
