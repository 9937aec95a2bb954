"""The OpenAPI document, built once per test process (about half a second each time): read it,
never change it."""

from functools import cache
from typing import Any

import jsonschema_rs

from veteran_care.main import create_app


@cache
def openapi_document() -> dict[str, Any]:
    return create_app().openapi()


HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation of the document: (path, method, operation)."""
    return [
        (path, method, operation)
        for path, item in openapi_document()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


@cache
def _validator(schema_name: str) -> Any:
    document = openapi_document()
    return jsonschema_rs.Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    )


def schema_accepts(schema_name: str, instance: Any) -> bool:
    """Whether the document's schema `schema_name` holds `instance` (as a generated client or a
    fuzzer reads it: JSON Schema 2020-12, with `if`/`then`/`else`)."""
    return bool(_validator(schema_name).is_valid(instance))
