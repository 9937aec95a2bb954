"""One error type, one renderer: every error leaves as RFC 9457 ``application/problem+json``.

Domain code raises :class:`DomainError` (or a subclass) with an HTTP status and a stable code.
Framework errors (validation, unknown route, wrong method) and database errors (unique violation,
bad data, stale version, database unreachable) are translated here, centrally, so no route ever
answers with SQL text or a bare 500 for bad input.

``title``, ``detail`` and ``errors[].message`` are in the request's language (``Accept-Language``):
a detail is a message id, or a ``i18n.Message`` with values; ``code`` stays English.
"""

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from veteran_care.db.errors import sqlstate, unique_violation_fields
from veteran_care.i18n import Message as Message  # the type of a detail with values
from veteran_care.i18n import translate, translated
from veteran_care.i18n.problems import field_error, field_message, request_language, title

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:veteran-care:problem:"
RETRY_AFTER_SECONDS = 5


class FieldError(BaseModel):
    """One field that failed validation."""

    field: str = Field(description="Dotted path of the offending field, e.g. `body.cccd`.")
    message: str = Field(description="What is wrong with it, in words.")
    type: str = Field(description="Machine-readable error type.")


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable ``code`` and optional extension members."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:veteran-care:problem:not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "Beneficiary 0f8fad5b-d9cb-469f-a165-70867728950e was not found.",
                    "code": "not-found",
                    "instance": "/api/v1/beneficiaries/0f8fad5b-d9cb-469f-a165-70867728950e",
                }
            ]
        },
    )

    type: str = Field(description="URI of the problem type: `urn:veteran-care:problem:<code>`.")
    title: str = Field(description="The status's reason phrase in the request's language.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong, in words to act on, in that language.")
    code: str = Field(description="Stable machine-readable code, e.g. not-found, duplicate.")
    instance: str | None = Field(None, description="The path of the request that failed.")
    errors: list[FieldError] | None = Field(
        None, description="Every field that failed validation (`validation-error`)."
    )
    field: str | None = Field(
        None,
        description="The input a rule of stored data is about, e.g. a `commune_code` with no "
        "commune (`unknown-commune`); a validation error lists its fields in `errors` instead.",
    )
    fields: list[str] | None = Field(
        None, description="The fields a conflict is about, e.g. the columns of a duplicate."
    )
    existing_id: str | None = Field(
        None, description="The id of the record that a duplicate conflicts with."
    )


class DomainError(Exception):
    """An error the API user can act on. ``extra`` members are added to the problem body.
    ``detail`` is a message id, or a :class:`Message` when it has values to fill in."""

    status: int = 400
    code: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})
        self.extra = extra


class NotFound(DomainError):
    status = 404
    code = "not-found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unprocessable(DomainError):
    status = 422
    code = "unprocessable"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition-failed"


class PreconditionRequired(DomainError):
    status = 428
    code = "precondition-required"


def problem_response(
    request: Request | None,
    status: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The problem body, its ``title``, ``detail`` and ``errors[].message`` translated into the
    request's language (``Content-Language`` says which)."""
    language = request_language(request)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": translate(title(status), language),
        "status": status,
        "detail": translated(detail, language),
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
    body.update({k: v for k, v in extra.items() if v is not None})
    if isinstance(body.get("errors"), list):
        body["errors"] = [field_error(e, language) for e in body["errors"]]
    headers = {**(headers or {}), "Content-Language": language}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def edge_problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem the edge answers itself, instead of the app (413, 503 ``busy``), shaped as the
    app's own errors are: ``app.state.problem_shape`` (an OperationOutcome under /fhir)."""
    response: Response = problem_response(request, status, code, detail, headers=headers)
    shape = getattr(getattr(request.scope.get("app"), "state", None), "problem_shape", None)
    return shape(request, response) if shape is not None else response


_STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    411: "length-required",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    429: "too-many-requests",
}


def _field_path(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    # The offending input is deliberately not echoed back: it may be personal data. The
    # message is an id (by the error's type) that the problem's writer translates.
    return [
        {
            "field": _field_path(err.get("loc", ())),
            "message": field_message(err),
            "type": str(err.get("type", "value_error")),
        }
        for err in errors
    ]


def _integrity_problem(request: Request, error: sa_exc.IntegrityError) -> JSONResponse:
    fields = unique_violation_fields(error)
    if fields is not None:
        named = ", ".join(fields) if fields else Message("a unique field")
        return problem_response(
            request,
            409,
            "duplicate",
            Message("Another record already has this value of {fields}.", fields=named),
            fields=fields or None,
        )
    message = str(error.orig).lower()
    if "foreign key" in message:
        return problem_response(
            request, 422, "invalid-reference", "A referenced record does not exist."
        )
    return problem_response(
        request, 422, "constraint-violated", "The request breaks a rule of the data model."
    )


def _unavailable(request: Request) -> JSONResponse:
    return problem_response(
        request,
        503,
        "database-unavailable",
        "The database is unavailable or busy; try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _path_methods(app: FastAPI) -> list[tuple[re.Pattern[str], list[str]]]:
    """Each documented path template as a regex, with its methods (computed once)."""
    cached: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        app.state, "path_methods", None
    )
    if cached is None:
        cached = []
        for template, operations in app.openapi()["paths"].items():
            regex = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
            cached.append((re.compile(f"^{regex}$"), sorted(m.upper() for m in operations)))
        app.state.path_methods = cached
    return cached


def _allowed_methods(request: Request) -> list[str]:
    """The methods of the resource at this path. A literal template (`/sessions/generate`) is
    a resource of its own, never an instance of `/sessions/{session_id}`."""
    path = request.scope.get("path", "")
    literal: set[str] = set()
    templated: set[str] = set()
    for regex, methods in _path_methods(request.app):
        if regex.match(path):
            (templated if "[^/]+" in regex.pattern else literal).update(methods)
    return sorted(literal or templated)


ProblemHook = Callable[[Request, int, str], Awaitable[None]]


async def _after_problem(request: Request, response: JSONResponse, code: str) -> JSONResponse:
    """Let the audit trail record a refused or failed request (set up in main.py)."""
    hook: ProblemHook | None = getattr(request.app.state, "problem_hook", None)
    if hook is not None:
        await hook(request, response.status_code, code)
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        response = problem_response(
            request, exc.status, exc.code, exc.detail, headers=exc.headers, **exc.extra
        )
        return await _after_problem(request, response, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc.errors())
        fields = ", ".join(e["field"] for e in errors[:5])
        response = problem_response(
            request,
            422,
            "validation-error",
            Message("Invalid input: {fields}.", fields=fields),
            errors=errors,
        )
        return await _after_problem(request, response, "validation-error")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        code = _STATUS_CODES.get(status, "error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        if status == 404 and detail == "Not Found":
            detail = Message("No route matches {path}.", path=request.url.path)
        headers = dict(exc.headers or {})
        if status == 405:
            detail = Message(
                "Method {method} is not allowed on {path}.",
                method=request.method,
                path=request.url.path,
            )
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return await _after_problem(
            request, problem_response(request, status, code, detail, headers=headers), code
        )

    @app.exception_handler(sa_exc.IntegrityError)
    async def _integrity(request: Request, exc: sa_exc.IntegrityError) -> JSONResponse:
        return await _after_problem(request, _integrity_problem(request, exc), "conflict")

    @app.exception_handler(sa_exc.DataError)
    async def _data(request: Request, exc: sa_exc.DataError) -> JSONResponse:
        response = problem_response(
            request, 422, "invalid-data", "A value does not fit what the database can hold."
        )
        return await _after_problem(request, response, "invalid-data")

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        response = problem_response(
            request,
            412,
            "precondition-failed",
            "The record was changed by someone else; read it again and retry.",
        )
        return await _after_problem(request, response, "precondition-failed")

    @app.exception_handler(sa_exc.DBAPIError)
    async def _dbapi(request: Request, exc: sa_exc.DBAPIError) -> JSONResponse:
        # Drivers without a finer exception class (asyncpg's data errors arrive as a plain
        # DBAPIError): decide by SQLSTATE class.
        state = sqlstate(exc)
        if exc.connection_invalidated:
            # SQLAlchemy recognised a lost connection (the database stopped or killed it in the
            # middle of a statement; asyncpg then reports a bare client error with no SQLSTATE).
            logger.warning("database connection lost (%s)", type(exc.orig).__name__)
            return _unavailable(request)
        if state.startswith("22"):
            response = problem_response(
                request, 422, "invalid-data", "A value does not fit what the database can hold."
            )
            return await _after_problem(request, response, "invalid-data")
        if state.startswith(("40", "53", "55", "57", "08")):
            logger.warning("database busy or unavailable: SQLSTATE %s", state)
            return _unavailable(request)
        logger.error("database error SQLSTATE %s (%s)", state, type(exc.orig).__name__)
        return problem_response(request, 500, "internal-error", "Internal error.")

    @app.exception_handler(sa_exc.OperationalError)
    async def _operational(request: Request, exc: sa_exc.OperationalError) -> JSONResponse:
        logger.warning("database operational error: %s", type(exc.orig).__name__)
        return _unavailable(request)

    @app.exception_handler(sa_exc.InterfaceError)
    async def _interface(request: Request, exc: sa_exc.InterfaceError) -> JSONResponse:
        logger.warning("database interface error: %s", type(exc.orig).__name__)
        return _unavailable(request)

    @app.exception_handler(sa_exc.TimeoutError)
    async def _pool_timeout(request: Request, exc: sa_exc.TimeoutError) -> JSONResponse:
        logger.warning("database pool exhausted")
        return _unavailable(request)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> JSONResponse:
        logger.warning("connection error: %s", type(exc).__name__)
        return _unavailable(request)

    @app.exception_handler(ResponseValidationError)
    async def _response_validation(request: Request, exc: ResponseValidationError) -> JSONResponse:
        route = request.scope.get("route")
        logger.error("response failed validation in %s", getattr(route, "name", "?"))
        return problem_response(request, 500, "internal-error", "Internal error.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        route = request.scope.get("route")
        logger.exception("unhandled error in %s %s", request.method, getattr(route, "name", "?"))
        return problem_response(request, 500, "internal-error", "Internal error.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the problem statuses a route can return."""
    descriptions = {
        400: "Malformed request.",
        404: "No such resource.",
        409: "Conflicts with existing data (duplicate, state).",
        412: "The If-Match version is stale.",
        413: "Request body too large.",
        415: "Unsupported media type.",
        422: "Validation failed; `errors` lists the fields.",
        428: "If-Match header required.",
        503: (
            "Database unavailable, or the server at its limit of concurrent requests; retry "
            "after `Retry-After` seconds."
        ),
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in (*statuses, 422, 503)
    }
