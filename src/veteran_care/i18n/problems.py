"""The texts of problems that no rule of ours writes: the title of each HTTP status, and the
message of each kind of validation error pydantic reports (selected by its ``type``, filled
from its ``ctx``). Marked here for the catalog; translated when the response is written, into
the language of the request."""

from collections.abc import Mapping
from http import HTTPStatus
from string import Formatter
from typing import Any, Final

from starlette.requests import Request

from veteran_care.i18n import N_, InvalidValue, Message, negotiate, translated

TITLES: Final[Mapping[int, str]] = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    406: N_("Not Acceptable"),
    409: N_("Conflict"),
    410: N_("Gone"),
    411: N_("Length Required"),
    412: N_("Precondition Failed"),
    413: N_("Request Entity Too Large"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Entity"),
    428: N_("Precondition Required"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}

# pydantic's error types an input of this API can raise, each with its message id; the
# placeholders are names of the error's ``ctx``. Any other type says the generic message.
VALIDATION: Final[Mapping[str, str]] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "json_invalid": N_("Invalid JSON"),
    "json_type": N_("JSON input should be string, bytes or bytearray"),
    "model_type": N_("Input should be an object"),
    "model_attributes_type": N_("Input should be an object"),
    "dict_type": N_("Input should be a valid dictionary"),
    "list_type": N_("Input should be a valid list"),
    "none_required": N_("Input should be null"),
    "too_short": N_("Should have at least {min_length} item(s), not {actual_length}"),
    "too_long": N_("Should have at most {max_length} item(s), not {actual_length}"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("String should have at least {min_length} character(s)"),
    "string_too_long": N_("String should have at most {max_length} character(s)"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer"),
    "int_parsing_size": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number"),
    "finite_number": N_("Input should be a finite number"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "decimal_type": N_("Input should be a valid decimal"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "decimal_max_digits": N_("Should have no more than {max_digits} digit(s) in total"),
    "decimal_max_places": N_("Should have no more than {decimal_places} decimal place(s)"),
    "decimal_whole_digits": N_(
        "Should have no more than {whole_digits} digit(s) before the decimal point"
    ),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_inexact": N_("Input should be a date without a time of day"),
    "date_past": N_("Date should be in the past"),
    "date_future": N_("Date should be in the future"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime"),
    "datetime_past": N_("Input should be in the past"),
    "datetime_future": N_("Input should be in the future"),
    "timezone_aware": N_("Input should have timezone info"),
    "timezone_naive": N_("Input should not have timezone info"),
    "time_type": N_("Input should be a valid time"),
    "time_parsing": N_("Input should be a valid time"),
    "uuid_type": N_("Input should be a valid UUID"),
    "uuid_parsing": N_("Input should be a valid UUID"),
    "uuid_version": N_("UUID version {expected_version} expected"),
}
INVALID: Final = N_("Invalid value")
# What the edge answers itself, before the app (web/intake.py).
BUSY: Final = N_("The server is at its limit of concurrent requests; retry shortly.")


def too_large(limit: int) -> Message:
    return Message("The request body is larger than the limit of {limit} bytes.", limit=limit)


# What the framework itself says in a 400 (a form or multipart body it cannot parse).
FRAMEWORK: Final = (N_("There was an error parsing the body"),)


def title(status: int) -> str:
    """The id of a status's title (its reason phrase)."""
    return TITLES.get(status) or HTTPStatus(status).phrase


def field_message(error: Mapping[str, Any]) -> str:
    """The message of one pydantic error, as a :class:`Message` (or an id) to translate."""
    kind = str(error.get("type", "value_error"))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        if isinstance(cause, InvalidValue):
            return cause.message
        # A rule's own text, without the "Value error, " pydantic puts before it.
        return str(error.get("msg") or INVALID).removeprefix("Value error, ")
    template = VALIDATION.get(kind)
    if template is None:
        return INVALID
    values = {name: ctx.get(name, "") for name in _placeholders(template)}
    return Message(template, **values)


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


def request_language(request: Request | None) -> str:
    """The language a request asks for (``Accept-Language``), else the configured default."""
    app = request.scope.get("app") if request is not None else None
    settings = getattr(getattr(app, "state", None), "settings", None)
    default = getattr(settings, "default_language", "vi")
    return negotiate(request.headers.get("accept-language") if request else None, default)


def field_error(error: Any, language: str) -> Any:
    """One ``errors[]`` member with its message in ``language``."""
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return {**error, "message": translated(error["message"], language)}
    return error
