"""An example of each problem status in the OpenAPI document, shown by Swagger UI and ReDoc
under that status: what the API really answers (the texts are the code's), not one 404 for all.

Each response that answers ``application/problem+json`` gets the examples of its status, unless
its route declared its own (the token endpoint's 400 is an OAuth2 ``invalid_grant``)."""

from http import HTTPStatus
from typing import Any

from veteran_care.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE
from veteran_care.kit.examples import BENEFICIARY_ID

_LIST = "/api/v1/beneficiaries"
_ONE = f"{_LIST}/{BENEFICIARY_ID}"
_IMPORT = f"{_LIST}/import"
_REF = "#/components/examples/"


def problem_example(
    status: int, code: str, summary: str, detail: str, instance: str = _LIST, **extra: Any
) -> dict[str, Any]:
    """An OpenAPI Example Object of a problem, as ``problem_response`` renders it."""
    value = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        **extra,
    }
    return {"summary": summary, "value": value}


_MISSING = [
    {"field": "body.full_name", "message": "Field required", "type": "missing"},
    {"field": "body.birth_year", "message": "give birth_date or birth_year", "type": "value_error"},
    {"field": "body.sex", "message": "Field required", "type": "missing"},
]
EXAMPLES = (
    problem_example(
        400, "bad-request", "A body that cannot be read", "There was an error parsing the body"
    ),
    problem_example(
        401,
        "unauthorized",
        "No bearer token",
        "Authentication required: send a bearer token from /api/v1/auth/token.",
    ),
    problem_example(
        403,
        "forbidden",
        "A role without the permission",
        "Your roles do not allow registry:write.",
    ),
    problem_example(
        404, "not-found", "No such record", f"Beneficiary {BENEFICIARY_ID} was not found.", _ONE
    ),
    problem_example(
        409,
        "duplicate",
        "The CCCD is someone's already",
        "Another beneficiary already has this cccd.",
        fields=["cccd"],
        existing_id=BENEFICIARY_ID,
    ),
    problem_example(
        412,
        "precondition-failed",
        "A stale If-Match",
        "The record was changed since you read it (stale If-Match); read it again and retry.",
        _ONE,
        current_etag='"3"',
    ),
    problem_example(
        413,
        "payload-too-large",
        "A body over the limit",
        "The request body is larger than the limit of 1048576 bytes.",
        _IMPORT,
    ),
    problem_example(
        415,
        "unsupported-file",
        "Neither CSV nor XLSX",
        "This is an old Excel .xls file: save it as .xlsx or 'CSV UTF-8'.",
        _IMPORT,
    ),
    problem_example(
        422,
        "validation-error",
        "Required fields missing",
        "Invalid input: body.full_name, body.birth_year, body.sex.",
        errors=_MISSING,
    ),
    problem_example(
        428,
        "precondition-required",
        "No If-Match",
        "This update needs an If-Match header with the ETag from your last read.",
        _ONE,
    ),
    problem_example(
        429,
        "login-delayed",
        "Failed logins from this address",
        "Too many failed attempts for this login from your address: try again in 2 s.",
        "/api/v1/auth/token",
    ),
    problem_example(
        503,
        "database-unavailable",
        "The database down or busy",
        "The database is unavailable or busy; try again shortly.",
    ),
    problem_example(
        503,
        "busy",
        "The server at its limit",
        "The server is at its limit of concurrent requests; retry shortly.",
    ),
)


def problem_examples(status: int) -> dict[str, dict[str, Any]]:
    """The OpenAPI ``examples`` of a problem response of this status, by problem code."""
    return {e["value"]["code"]: e for e in EXAMPLES if e["value"]["status"] == status}


def exemplify_problems(schema: dict[str, Any]) -> None:
    """Each problem response of the document refers to the examples of its status, which are
    written once under ``components/examples``."""
    components: dict[str, Any] = {}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
                examples = problem_examples(int(status)) if status.isdigit() else {}
                if content is None or not examples or "example" in content:
                    continue
                # A response may be shared by operations (and apps): it may have them already.
                refs = {name: {"$ref": _REF + name} for name in examples}
                if content.setdefault("examples", refs) == refs:
                    components.update(examples)
    if components:
        schema.setdefault("components", {})["examples"] = dict(sorted(components.items()))
