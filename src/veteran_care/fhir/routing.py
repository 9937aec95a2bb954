"""Shared pieces of the FHIR routers: permissions, search parameters, documented responses."""

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import StringConstraints

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.fhir import elements, schemas
from veteran_care.fhir import search as params
from veteran_care.fhir.controls import search_controls
from veteran_care.fhir.queries import Found
from veteran_care.fhir.responses import FhirResponse, searchset
from veteran_care.fhir.search import Controls

Registry = Annotated[Actor, allow(Permission.registry_read)]
Facilities = Annotated[Actor, allow(Permission.facilities_read)]
Scheduling = Annotated[Actor, allow(Permission.scheduling_read)]
Clinical = Annotated[Actor, allow(Permission.clinical_read)]
Pharmacy = Annotated[Actor, allow(Permission.pharmacy_read)]
Catalogue = Annotated[Actor, allow(Permission.reference_read)]


def searching(resource_type: str) -> Any:
    """`controls: Annotated[Controls, searching("Patient")]`: the search's result parameters."""
    return Depends(search_controls(resource_type))


Token = Annotated[
    str | None,
    Query(
        max_length=241,
        pattern=params.TOKEN_PATTERN,
        description="`system|value`, `system|` (any value of that system) or `value`.",
    ),
]
Reference = Annotated[
    str | None,
    Query(
        max_length=120,
        pattern=params.REFERENCE_PATTERN,
        description="`<Type>/<id>` or `<id>`.",
    ),
]
Dates = Annotated[
    list[Annotated[str, StringConstraints(max_length=12, pattern=params.DATE_PATTERN)]] | None,
    Query(max_length=2, description="`[eq|ge|gt|le|lt]YYYY[-MM-DD]`, up to twice (a range)."),
]


def outcome(description: str) -> dict[str, Any]:
    return {"model": schemas.FhirOperationOutcome, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: outcome("Search parameters that cannot be processed."),
    401: outcome("No valid bearer token."),
    403: outcome("The caller's roles do not allow this."),
    406: outcome("A format other than JSON asked for (`_format`, `Accept`)."),
    503: outcome(
        "Database unavailable, or the server at its limit of concurrent requests; retry after "
        "`Retry-After` seconds."
    ),
    # Under /fhir a validation error is a 400, never a 422: this also keeps FastAPI from
    # documenting its own 422.
    "4XX": outcome("Any other client error (e.g. 405)."),
}
READ_ERRORS = {**ERRORS, 404: outcome("No such resource, or not in the caller's scope.")}


READ_HEADERS = {
    "ETag": {
        "description": 'The version, weak: `W/"3"` (the same as `meta.versionId`).',
        "schema": {"type": "string"},
    },
    "Last-Modified": {"description": "`meta.lastUpdated`.", "schema": {"type": "string"}},
}


def read_responses(model: type[schemas.FhirResource]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"model": model, "description": "The resource.", "headers": READ_HEADERS},
        **READ_ERRORS,
    }


SEARCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": schemas.FhirBundle, "description": "A searchset Bundle."},
    **ERRORS,
}


def bundle(request: Request, controls: Controls, found: Found) -> FhirResponse:
    resources = found.resources
    if controls.elements is not None:
        resources = [elements.subset(r, controls.elements) for r in resources]
    body = searchset(
        request, resources, found.next_cursor, params=controls.applied, total=found.total
    )
    return FhirResponse(body)


def ref(value: str | None, resource_type: str, name: str) -> uuid.UUID | None:
    return None if value is None else params.reference(value, resource_type, name)
