"""The OpenAPI document, built once per test process (about half a second each time): read it,
never change it."""

from functools import cache
from typing import Any

from veteran_care.main import create_app


@cache
def openapi_document() -> dict[str, Any]:
    return create_app().openapi()
