"""JSON request bodies read strictly: a body sent as anything but JSON is a 415 that names the
media type accepted, and an object that names a key twice is a 422 that names the key (plain
``json.loads`` keeps the last value silently, so two programs could read one body two ways).

``JsonBodyRoute`` is FastAPI's documented hook for this ("Custom Request and APIRoute class"):
its handler hands FastAPI a ``Request`` subclass whose ``json()`` parses with an
``object_pairs_hook``. The body is parsed once, here, before FastAPI asks for it (it gets the
parsed value back); a route without a JSON body (none, or a form) keeps FastAPI's handler as
it is. A malformed body is left to FastAPI, which reports it as before.
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute

from veteran_care.errors import PROBLEM_MEDIA_TYPE, DomainError
from veteran_care.kit.i18n import Message
from veteran_care.kit.validation import InvalidInput

JSON_MEDIA_TYPE = "application/json"
_UNREAD: Any = object()


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported-media-type"


class _RepeatedKey(ValueError):
    pass


class _Repeated(dict[str, Any]):
    """An object that named ``key`` more than once (the last value kept)."""

    def __init__(self, pairs: list[tuple[str, Any]], key: str) -> None:
        super().__init__(pairs)
        self.key = key


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        raise _RepeatedKey
    return found


def _marked_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _Repeated(pairs, key)
        seen.add(key)
    return dict(pairs)


def _repeat_path(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    if isinstance(value, _Repeated):
        return (*path, value.key)
    if isinstance(value, dict | list):
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for name, child in children:
            if (found := _repeat_path(child, (*path, name))) is not None:
                return found
    return None


def is_json(content_type: str) -> bool:
    """``application/json`` or ``application/<anything>+json``, parameters aside (as FastAPI
    decides whether to parse a body)."""
    media = content_type.partition(";")[0].strip().lower()
    return media == JSON_MEDIA_TYPE or (
        media.startswith("application/") and media.endswith("+json")
    )


class StrictJsonRequest(Request):
    parsed: Any = _UNREAD

    async def json(self) -> Any:
        if self.parsed is _UNREAD:
            self.parsed = json.loads(await self.body(), object_pairs_hook=_strict_object)
        return self.parsed


async def _read_strictly(request: StrictJsonRequest) -> None:
    if not await request.body():
        return
    if not is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType(
            Message(
                "The body must be JSON: send it with Content-Type: {media_type}.",
                media_type=JSON_MEDIA_TYPE,
            ),
            accepted=[JSON_MEDIA_TYPE],
        )
    try:
        await request.json()
    except _RepeatedKey:
        raise _repeated(await request.body()) from None
    except (ValueError, RecursionError):
        return  # not JSON at all, or nested past Python's limit: FastAPI's own 400 or 422


def _repeated(body: bytes) -> InvalidInput:
    """The 422 that names the first key sent twice, with its path in the body."""
    try:
        path = _repeat_path(json.loads(body, object_pairs_hook=_marked_object), ("body",))
    except RecursionError:
        path = None
    path = path or ("body",)
    return InvalidInput(
        ".".join(str(part) for part in path),
        Message(
            'The key "{key}" appears more than once in one object: send it once.', key=path[-1]
        ),
        error_type="duplicate_key",
    )


class JsonBodyRoute(APIRoute):
    """A route whose JSON body is read strictly (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None or isinstance(self.body_field.field_info, Form):
            return handler

        async def handle(request: Request) -> Response:
            strict = StrictJsonRequest(request.scope, request.receive)
            await _read_strictly(strict)
            return await handler(strict)

        return handle


UNSUPPORTED_BODY = {
    "description": f"The body is not JSON (`Content-Type` other than `{JSON_MEDIA_TYPE}`).",
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def document(operation: dict[str, Any]) -> None:
    """OpenAPI: the 415 of every operation that takes a JSON body."""
    if JSON_MEDIA_TYPE in operation.get("requestBody", {}).get("content", {}):
        operation["responses"].setdefault("415", UNSUPPORTED_BODY)
