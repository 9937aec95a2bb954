"""Each error status of the OpenAPI document shows an example of its own, which is what the API
really answers: a reader of /docs sees a 401 under 401, not the 404 every problem showed."""

from http import HTTPStatus
from typing import Any

import httpx

from tests.document import openapi_document, operations, schema_accepts
from veteran_care.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE
from veteran_care.kit.examples import BENEFICIARY_ID
from veteran_care.kit.problem_examples import problem_examples
from veteran_care.main import create_app
from veteran_care.models import Role

EXAMPLE_REF = "#/components/examples/"


def _example(example: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in example:
        example = openapi_document()["components"]["examples"][
            example["$ref"].removeprefix(EXAMPLE_REF)
        ]
    value: dict[str, Any] = example["value"]
    return value


def _problem_responses() -> list[tuple[str, int, dict[str, Any]]]:
    return [
        (f"{method} {path} {status}", int(status), response["content"][PROBLEM_MEDIA_TYPE])
        for path, method, operation in operations()
        for status, response in operation["responses"].items()
        if PROBLEM_MEDIA_TYPE in response.get("content", {})
    ]


def test_every_problem_response_shows_examples_of_its_own_status() -> None:
    wrong = []
    responses = _problem_responses()
    for where, status, content in responses:
        examples = [_example(e) for e in content.get("examples", {}).values()]
        if not examples:
            wrong.append(f"{where}: no example")
        for value in examples:
            if value["status"] != status or value["title"] != HTTPStatus(status).phrase:
                wrong.append(f"{where}: shows a {value['status']} {value['title']}")
            if value["type"] != PROBLEM_TYPE_BASE + value["code"]:
                wrong.append(f"{where}: type {value['type']} for code {value['code']}")
            if not schema_accepts("Problem", value):
                wrong.append(f"{where}: not a Problem")
    assert wrong == []
    assert {401, 403, 404, 422, 503} <= {status for _, status, _ in responses}


async def _answered(status: int, response: httpx.Response) -> None:
    assert response.status_code == status
    (example,) = (e["value"] for e in problem_examples(status).values())
    assert response.json() == example


async def test_401_403_404_400_and_422_answer_as_their_examples(
    client_for: Any, anon_client: httpx.AsyncClient
) -> None:
    await _answered(401, await anon_client.get("/api/v1/beneficiaries"))
    reporter = await client_for(Role.reporter)
    await _answered(403, await reporter.post("/api/v1/beneficiaries", json={}))
    admin = await client_for(Role.admin)
    await _answered(404, await admin.get(f"/api/v1/beneficiaries/{BENEFICIARY_ID}"))
    await _answered(422, await admin.post("/api/v1/beneficiaries", json={}))
    unreadable = b'{"full_name": "\xff"}'
    headers = {"Content-Type": "application/json"}
    await _answered(
        400, await admin.post("/api/v1/beneficiaries", content=unreadable, headers=headers)
    )


def test_a_second_app_documents_the_same_examples() -> None:
    # Some responses are one object shared by operations and by apps (the 400 of a body).
    first, second = create_app().openapi(), create_app().openapi()
    assert second["components"]["examples"] == first["components"]["examples"]
    assert second["components"]["examples"] == openapi_document()["components"]["examples"]
