"""The OpenAPI document's house rules, applied once after FastAPI generates it: problems are
documented as ``application/problem+json`` only, a body that cannot be read is a 400, and each
operation passes through the given documenters (who may call it, idempotency keys, …)."""

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI

from veteran_care.errors import PROBLEM_MEDIA_TYPE

Documenter = Callable[[dict[str, Any]], None]


def problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


MALFORMED_BODY = problem("The body could not be read (e.g. not UTF-8).")


def install_openapi(
    app: FastAPI,
    documenters: Iterable[Documenter],
    refine: Callable[[dict[str, Any]], None],
) -> None:
    generate = app.openapi
    documenters = tuple(documenters)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path in schema["paths"].values():
                for operation in path.values():
                    if "requestBody" in operation:
                        operation["responses"].setdefault("400", MALFORMED_BODY)
                    for document in documenters:
                        document(operation)
                    for response in operation.get("responses", {}).values():
                        content = response.get("content", {})
                        if PROBLEM_MEDIA_TYPE in content:
                            content.pop("application/json", None)
            refine(schema)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
