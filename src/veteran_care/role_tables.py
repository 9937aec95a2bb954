"""The role tables of docs/roles.md, printed by `veteran-care roles` (a test keeps them equal)."""

from typing import Any

from veteran_care.auth.permissions import Permission, allowed_roles
from veteran_care.models import Role


def matrix_markdown() -> str:
    """The matrix as a Markdown table (docs/roles.md shows it; a test keeps them equal)."""
    roles = list(Role)
    lines = [
        "| permission | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for permission in Permission:
        cells = ["✓" if r in allowed_roles(permission) else "" for r in roles]
        lines.append(f"| `{permission.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def operations_markdown(openapi: dict[str, Any]) -> str:
    """Every guarded operation with the permission it needs (docs/roles.md shows it)."""
    lines = ["| operation | method and path | permission |", "|---|---|---|"]
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            scopes = [
                scope
                for requirement in operation.get("security", [])
                for names in requirement.values()
                for scope in names
            ]
            if scopes:
                lines.append(
                    f"| `{operation['operationId']}` | {method.upper()} `{path}` "
                    f"| `{', '.join(scopes)}` |"
                )
    return "\n".join(lines)
