"""Deny by default: every operation declares a permission, and the matrix is what is enforced."""

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.document import openapi_document
from veteran_care.auth.permissions import MATRIX, Permission, allowed_roles
from veteran_care.models import Role
from veteran_care.role_tables import matrix_markdown, operations_markdown

PUBLIC = {("post", "/api/v1/auth/token"), ("post", "/api/v1/messages/replies")}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = openapi_document()
    return [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def _permission(operation: dict[str, Any]) -> Permission | None:
    scopes = [s for req in operation.get("security", []) for names in req.values() for s in names]
    assert len(scopes) <= 1, operation["operationId"]
    return Permission(scopes[0]) if scopes else None


def test_every_api_operation_declares_a_permission() -> None:
    for method, path, operation in _operations():
        if not path.startswith("/api/v1") or (method, path) in PUBLIC:
            continue
        permission = _permission(operation)
        assert permission is not None, f"{method.upper()} {path} declares no permission"
        assert permission in MATRIX
        assert "**Who:**" in operation["description"]
        assert {"401", "403"} <= set(operation["responses"])


def test_every_permission_is_granted_to_someone() -> None:
    for permission in Permission:
        assert allowed_roles(permission), permission


def test_the_role_page_shows_the_matrix_as_enforced() -> None:
    """Regenerate with `veteran-care roles` (docs/roles.md)."""
    page = (Path(__file__).parents[2] / "docs" / "roles.md").read_text(encoding="utf-8")
    assert matrix_markdown() in page
    assert operations_markdown(openapi_document()) in page


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_is_allowed_and_denied_per_the_matrix(client_for, role: Role) -> None:
    client: httpx.AsyncClient = await client_for(role)
    operations = sorted(_operations(), key=lambda op: op[2]["operationId"] == "logout")
    checked = 0
    for method, path, operation in operations:
        permission = _permission(operation)
        if not path.startswith("/api/v1") or permission is None:
            continue
        kwargs: dict[str, Any] = {"json": {}} if method in ("post", "patch", "put") else {}
        response = await client.request(method.upper(), _url(path), **kwargs)
        name = f"{role.value} {method.upper()} {path}"
        if role in allowed_roles(permission):
            assert response.status_code not in (401, 403), f"{name} denied: {response.text}"
        else:
            assert response.status_code == 403, f"{name} not denied: {response.status_code}"
        checked += 1
    assert checked >= 20
