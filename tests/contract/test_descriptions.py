"""What a frontend team reads in the OpenAPI document: every schema and every property of
components/schemas says what it is, and every request body comes with an example that the
schema and the API itself accept."""

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel

from tests.document import openapi_document
from veteran_care.kit.schemas import InputSchema
from veteran_care.main import create_app

METHODS = ("get", "put", "post", "patch", "delete")
REF_PREFIX = "#/components/schemas/"


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = openapi_document()["components"]["schemas"]
    return schemas


def _undescribed(schemas: dict[str, Any]) -> Iterator[str]:
    for name, schema in schemas.items():
        if not schema.get("description"):
            yield name
        for prop, value in schema.get("properties", {}).items():
            if value.get("description"):
                continue
            # A property that is only a reference reads the referenced schema's description.
            ref = value.get("$ref")
            if set(value) == {"$ref"} and schemas[ref.removeprefix(REF_PREFIX)].get("description"):
                continue
            yield f"{name}.{prop}"


def test_every_schema_and_property_has_a_description() -> None:
    # FastAPI's own HTTPValidationError/ValidationError are not in the document: validation
    # errors are answered with the house Problem schema, which is described like the others.
    assert list(_undescribed(_schemas())) == []


def test_a_schema_without_descriptions_is_named() -> None:
    bare = {"Bare": {"type": "object", "properties": {"size": {"type": "integer"}}}}
    assert list(_undescribed(bare)) == ["Bare", "Bare.size"]


def _request_bodies() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for item in openapi_document()["paths"].values():
        for method, operation in item.items():
            if method not in METHODS or "requestBody" not in operation:
                continue
            for media_type, content in operation["requestBody"]["content"].items():
                yield operation["operationId"], media_type, content


def _examples(content: dict[str, Any]) -> list[Any]:
    """The examples of a media type: its own, else those of the schema it references."""
    if "example" in content:
        return [content["example"]]
    if "examples" in content:
        return [example["value"] for example in content["examples"].values()]
    schema = content.get("schema", {})
    if "$ref" in schema:
        schema = _schemas()[schema["$ref"].removeprefix(REF_PREFIX)]
    return list(schema.get("examples", []))


def _validator(schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    # The document's components ride along, so that "#/components/schemas/..." resolves.
    components = openapi_document()["components"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": components})


def test_every_request_body_has_an_example() -> None:
    missing = [
        f"{op} ({media})" for op, media, content in _request_bodies() if not _examples(content)
    ]
    assert missing == []


def test_every_example_is_valid_against_its_schema() -> None:
    invalid = []
    for name, schema in _schemas().items():
        validator = _validator({"$ref": REF_PREFIX + name})
        for example in schema.get("examples", []):
            invalid += [f"{name}: {error.message}" for error in validator.iter_errors(example)]
    for operation_id, _, content in _request_bodies():
        validator = _validator(content["schema"])
        for example in _examples(content):
            invalid += [f"{operation_id}: {e.message}" for e in validator.iter_errors(example)]
    assert invalid == []


def _input_models_with_examples() -> list[type[BaseModel]]:
    create_app()  # imports every router, and so every input schema
    found, pending = [], [InputSchema]
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        if model.model_json_schema().get("examples"):
            found.append(model)
    return sorted(found, key=lambda model: model.__qualname__)


@pytest.mark.parametrize("model", _input_models_with_examples())
def test_the_api_accepts_the_examples_it_documents(model: type[BaseModel]) -> None:
    # The rules JSON Schema cannot state (one principal diagnosis, diastolic below systolic, ...)
    # are the model's: an example a client copies must pass them too.
    for example in model.model_json_schema()["examples"]:
        model.model_validate_json(json.dumps(example))
