"""Shared pieces of the FHIR routers: permissions, search parameters, documented responses."""

import uuid
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import StringConstraints

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.fhir import schemas
from veteran_care.fhir import search as params
from veteran_care.fhir.responses import FhirResponse, searchset
from veteran_care.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT

Registry = Annotated[Actor, allow(Permission.registry_read)]
Facilities = Annotated[Actor, allow(Permission.facilities_read)]
Scheduling = Annotated[Actor, allow(Permission.scheduling_read)]
Clinical = Annotated[Actor, allow(Permission.clinical_read)]
Pharmacy = Annotated[Actor, allow(Permission.pharmacy_read)]
Catalogue = Annotated[Actor, allow(Permission.reference_read)]

Count = Annotated[
    int,
    Query(alias="_count", ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT})."),
]
Cursor = Annotated[
    str | None,
    Query(alias="_cursor", max_length=512, description="From the Bundle's `next` link."),
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
    503: outcome(
        "Database unavailable, or the server at its limit of concurrent requests; retry after "
        "`Retry-After` seconds."
    ),
    # Under /fhir a validation error is a 400, never a 422: this also keeps FastAPI from
    # documenting its own 422.
    "4XX": outcome("Any other client error (e.g. 405)."),
}
READ_ERRORS = {**ERRORS, 404: outcome("No such resource, or not in the caller's scope.")}


def read_responses(model: type[schemas.FhirResource]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": "The resource."}, **READ_ERRORS}


SEARCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": schemas.FhirBundle, "description": "A searchset Bundle."},
    **ERRORS,
}


def bundle(request: Request, page: tuple[list[dict[str, Any]], str | None]) -> FhirResponse:
    return FhirResponse(searchset(request, page[0], page[1]))


def ref(value: str | None, resource_type: str, name: str) -> uuid.UUID | None:
    return None if value is None else params.reference(value, resource_type, name)
