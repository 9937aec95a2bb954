"""What the OpenAPI document says of each operation's permission (``auth.dependencies.allow``)."""

from typing import Any

from veteran_care.auth.permissions import Permission, describe
from veteran_care.kit.openapi import problem


def document_permission(operation: dict[str, Any]) -> None:
    """OpenAPI: a guarded operation says who may call it, and documents 401 and 403; one that
    needs no token says so with an empty `security` (the document has no global default)."""
    operation.setdefault("security", [])
    scopes = [
        s for requirement in operation.get("security", []) for v in requirement.values() for s in v
    ]
    if not scopes:
        return
    roles = " ".join(describe(Permission(scope)) for scope in scopes)
    operation["description"] = (operation.get("description", "") + f"\n\n**Who:** {roles}").strip()
    operation["responses"].setdefault("401", problem("No valid bearer token."))
    operation["responses"].setdefault("403", problem("The caller's roles do not allow this."))
