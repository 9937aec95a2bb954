"""FHIR responses: `application/fhir+json` bodies, searchset Bundles with paging links, and
every error of a /fhir route as an OperationOutcome.

Errors are raised and translated as everywhere else (one `DomainError`, one set of handlers in
`errors.py`); `install` wraps those handlers so that, under /fhir, the problem they render leaves
as an OperationOutcome with the same status and headers. Under /fhir a validation error is a 400
(FHIR's status for a search it cannot process), not a 422.
"""

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from veteran_care.errors import PROBLEM_MEDIA_TYPE
from veteran_care.fhir.codes import FHIR_MEDIA_TYPE, FHIR_PREFIX, ISSUE_TYPE
from veteran_care.kit.i18n import Message


class FhirResponse(JSONResponse):
    media_type = FHIR_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# problem code -> FHIR issue type (http://hl7.org/fhir/issue-type)
_ISSUE_CODES = {
    "unauthorized": "login",
    "forbidden": "forbidden",
    "out-of-scope": "forbidden",
    "not-found": "not-found",
    "method-not-allowed": "not-supported",
    "validation-error": "invalid",
    "invalid-cursor": "invalid",
    "invalid-data": "invalid",
    "unsupported-search": "not-supported",
    "not-acceptable": "not-supported",
    "database-unavailable": "transient",
    "busy": "transient",
    "internal-error": "exception",
}


def outcome(status: int, code: str, detail: str) -> dict[str, Any]:
    issue_type = _ISSUE_CODES.get(code) or ("exception" if status >= 500 else "processing")
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "fatal" if status >= 500 else "error",
                "code": issue_type,
                "details": {"coding": [{"system": ISSUE_TYPE, "code": issue_type}], "text": code},
                "diagnostics": detail,
            }
        ],
    }


def _as_outcome(response: Response) -> Response:
    if response.headers.get("content-type") != PROBLEM_MEDIA_TYPE:
        return response
    problem = json.loads(bytes(response.body))
    status = 400 if response.status_code == 422 else response.status_code
    detail = str(problem.get("detail", ""))
    fields = [e.get("field") for e in problem.get("errors") or [] if isinstance(e, dict)]
    if fields and problem.get("code") == "validation-error":
        named = ", ".join(str(f) for f in fields[:5])
        detail = Message("Invalid search parameters: {fields}.", fields=named).in_language(
            response.headers.get("content-language", "en")
        )
    headers = {
        k: v
        for k, v in response.headers.items()
        if k.lower() not in ("content-type", "content-length")
    }
    return FhirResponse(
        outcome(status, str(problem.get("code", "error")), detail),
        status_code=status,
        headers=headers,
    )


def is_fhir(request: Request) -> bool:
    path: str = request.scope.get("path", "")
    root_path: str = request.scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]  # mounted under a proxy's prefix
    return path == FHIR_PREFIX or path.startswith(FHIR_PREFIX + "/")


Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def _wrap(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if not isinstance(response, Response):
            response = await response
        return shape(request, response)

    return handle


def shape(request: Request, response: Response) -> Response:
    """A problem answered under /fhir, as an OperationOutcome; any other response as it is."""
    return _as_outcome(response) if is_fhir(request) else response


def install(app: FastAPI) -> None:
    """Render the errors of /fhir routes as OperationOutcome (after install_error_handlers),
    and the refusals the edge answers itself (``errors.edge_problem``)."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _wrap(handler)
    app.state.problem_shape = shape


def _url(request: Request, params: Iterable[tuple[str, str]]) -> str:
    return str(request.url.replace(query=urlencode(list(params))))


def full_url(request: Request, resource: dict[str, Any]) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}{FHIR_PREFIX}/{resource['resourceType']}/{resource['id']}"


def read(resource: dict[str, Any]) -> FhirResponse:
    """A resource read: `ETag` is the version (weak, as FHIR has it: `W/"3"`, the row's
    `version`, the same as `meta.versionId`) and `Last-Modified` its `meta.lastUpdated`."""
    meta = resource.get("meta") or {}
    headers = {}
    if "versionId" in meta:
        headers["ETag"] = f'W/"{meta["versionId"]}"'
    if "lastUpdated" in meta:
        updated = datetime.fromisoformat(meta["lastUpdated"]).astimezone(UTC)
        headers["Last-Modified"] = format_datetime(updated, usegmt=True)
    return FhirResponse(resource, headers=headers)


def searchset(
    request: Request,
    resources: Iterable[dict[str, Any]],
    next_cursor: str | None,
    *,
    params: Sequence[tuple[str, str]] = (),
    total: int | None = None,
) -> dict[str, Any]:
    """A searchset Bundle: `self` is the search as applied (`params`), `next` the same search
    from the cursor; `total` when it is known."""
    links = [{"relation": "self", "url": _url(request, params)}]
    if next_cursor is not None:
        paged = [(k, v) for k, v in params if k != "_cursor"] + [("_cursor", next_cursor)]
        links.append({"relation": "next", "url": _url(request, paged)})
    entries = [
        {"fullUrl": full_url(request, r), "resource": r, "search": {"mode": "match"}}
        for r in resources
    ]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if total is not None:
        bundle["total"] = total
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle
