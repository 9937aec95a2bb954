"""ETag / If-Match optimistic concurrency. The entity tag is the row's version number."""

from typing import Any

from fastapi import Response

from veteran_care.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def sends_etag() -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry of a read that calls `set_etag`: its 200 declares the header."""
    header = {
        "description": 'The version read (`"3"`): send it as `If-Match` to change the record.',
        "schema": {"type": "string"},
    }
    return {200: {"headers": {"ETag": header}}}


def check_if_match(if_match: str | None, version: int) -> None:
    """Raise 428 without If-Match, 412 when no listed tag is the current version."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "This update needs an If-Match header with the ETag from your last read."
        )
    current = etag(version)
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed(
        "The record was changed since you read it (stale If-Match); read it again and retry.",
        current_etag=current,
    )
