"""What the OpenAPI document says about its operations as a whole: who may call them without a
token, how the token endpoint takes its credentials, where the API is served and its licence."""

import base64
import tomllib
from pathlib import Path
from typing import Any

from tests.document import openapi_document, operations
from tests.test_conventions import assert_problem
from veteran_care.models import AccountKind, Role

TOKEN_URL = "/api/v1/auth/token"
SECRET = "correct horse battery staple"
PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def _token_operation() -> dict[str, Any]:
    operation: dict[str, Any] = openapi_document()["paths"][TOKEN_URL]["post"]
    return operation


def test_the_token_form_is_required_and_the_call_is_public() -> None:
    operation = _token_operation()
    assert operation["requestBody"]["required"] is True
    headers = [p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"]
    assert "authorization" not in headers
    # Public, so that a generated client logs in without an authenticated client; a machine
    # client's HTTP Basic is described, not declared as a scheme.
    assert operation["security"] == []
    assert "Authorization: Basic" in operation["description"]


async def test_the_token_endpoint_reads_basic_as_before(anon_client, make_account) -> None:
    client = await make_account(Role.reporter, kind=AccountKind.client, login="so-noi-vu-1")
    user = await make_account(Role.scheduler, login="lo.thi.mai")
    basic = base64.b64encode(f"{client.login}:{SECRET}".encode()).decode()
    grant = {"grant_type": "client_credentials"}
    lower_case = await anon_client.post(
        TOKEN_URL, data=grant, headers={"Authorization": f"basic {basic}"}
    )
    assert lower_case.status_code == 200, lower_case.text
    # An unreadable Basic header is no credentials, never a refusal by itself.
    unreadable = {"Authorization": "Basic %%%"}
    from_form = await anon_client.post(
        TOKEN_URL,
        data={**grant, "client_id": client.login, "client_secret": SECRET},
        headers=unreadable,
    )
    assert from_form.status_code == 200, from_form.text
    password = await anon_client.post(
        TOKEN_URL,
        data={"grant_type": "password", "username": user.login, "password": SECRET},
        headers=unreadable,
    )
    assert password.status_code == 200, password.text
    missing = await anon_client.post(TOKEN_URL, data=grant, headers=unreadable)
    assert_problem(missing, 400, "invalid_request")
    empty = await anon_client.post(TOKEN_URL)
    assert_problem(empty, 400, "invalid_request")


def test_every_operation_says_who_may_call_it() -> None:
    public = set()
    for _, _, operation in operations():
        assert "security" in operation, operation["operationId"]
        requirements = operation["security"]
        scopes = [
            scope for requirement in requirements for v in requirement.values() for scope in v
        ]
        if not scopes:
            public.add(operation["operationId"])
            assert requirements == [] or {} in requirements, operation["operationId"]
    assert public == {
        "healthz",
        "readyz",
        "metrics",
        "fhir_capabilities",
        "issue_token",
        "receive_reply",  # the SMS gateway signs its webhook instead
    }


async def test_operations_without_security_answer_without_a_token(anon_client) -> None:
    for path, method, operation in operations():
        if operation["security"] == [] and "requestBody" not in operation:
            response = await anon_client.request(method.upper(), path)
            assert response.status_code == 200, (path, response.text)
    # The token endpoint logs in without a token: test_the_token_endpoint_reads_basic_as_before.


def test_the_document_names_its_server_and_licence() -> None:
    document = openapi_document()
    [server] = document["servers"]
    assert server["url"] == "/"
    assert server["description"]
    licence = document["info"]["license"]
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert licence["identifier"] == project["license"] == "Apache-2.0"
    assert licence["name"]
