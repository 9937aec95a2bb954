"""``idempotent(permission)``: the authorization dependency plus the optional Idempotency-Key,
and ``IdempotentRoute``, the route class that replays and stores responses.

The dependency checks the key before the endpoint runs (inside the request's write transaction,
or in a transaction of its own for long-running operations). The route class wraps FastAPI's
request handler, which solves the dependencies, runs the endpoint and serialises its response:
it gets the finished ``Response`` (status, body bytes, headers) while the write session is still
open, because FastAPI closes function-scoped dependencies (the commit) only after the handler
returns. So the stored response is exactly what is sent, and is stored in the same transaction.
"""

from collections.abc import Callable, Coroutine
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import WriteSession
from veteran_care.idempotency import service
from veteran_care.kit.json_body import JsonBodyRoute
from veteran_care.models.idempotency import KEY_MAX_LENGTH

_CLAIM = "idempotency_claim"
_ROUTE = "idempotent_route"

KeyHeader = Annotated[
    str | None,
    Header(
        alias=service.HEADER,
        min_length=1,
        max_length=KEY_MAX_LENGTH,
        pattern=r"^[\x21-\x7E]+$",
        description=(
            "Optional. A unique value (e.g. a UUID) that makes retrying this request safe: "
            "a replay by the same user or client with the same body returns the first "
            "response (with `Idempotent-Replayed: true`) without writing again. 1 to "
            f"{KEY_MAX_LENGTH} visible ASCII characters; remembered for "
            "`VETERAN_CARE_IDEMPOTENCY_KEY_HOURS` (default 24 hours)."
        ),
        examples=["6f1c2b0e-7d1a-4c55-9a0e-3c1f1b7e2d44"],
    ),
]


def _check_route(request: Request) -> None:
    if not getattr(request.state, _ROUTE, False):  # pragma: no cover - a wiring mistake
        raise RuntimeError("an idempotent operation must be on a router with IdempotentRoute")


@cache
def _dependency(permission: Permission, long_running: bool) -> Callable[..., Any]:
    if long_running:

        async def claim_separately(
            request: Request,
            actor: Annotated[Actor, allow(permission)],
            key: KeyHeader = None,
        ) -> Actor:
            _check_route(request)
            if key is not None:
                claim = await service.claim_separately(request, actor, key)
                setattr(request.state, _CLAIM, claim)
            return actor

        return claim_separately

    async def claim_in_transaction(
        request: Request,
        actor: Annotated[Actor, allow(permission)],
        session: WriteSession,
        key: KeyHeader = None,
    ) -> Actor:
        _check_route(request)
        if key is not None:
            claim = await service.claim_in_transaction(request, session, actor, key)
            setattr(request.state, _CLAIM, claim)
        return actor

    return claim_in_transaction


def idempotent(permission: Permission, *, long_running: bool = False) -> Any:
    """``actor: Annotated[Actor, idempotent(Permission.x)]`` on a POST that creates something:
    ``allow(permission)`` plus the optional ``Idempotency-Key`` header. ``long_running``: the
    operation commits in chunks of its own (no WriteSession), so the key is claimed up front."""
    return Depends(_dependency(permission, long_running))


class IdempotentRoute(JsonBodyRoute):
    """Replays a stored response, and stores the first one before the transaction commits
    (and reads a JSON body strictly, as every route that takes one)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            setattr(request.state, _ROUTE, True)
            try:
                response = await handler(request)
            except service.Replay as replay:
                return replay.response
            except Exception:
                claim = getattr(request.state, _CLAIM, None)
                if claim is not None:
                    await service.release(request, claim)
                raise
            claim = getattr(request.state, _CLAIM, None)
            if claim is not None:
                await service.complete(request, claim, response)
            return response

        return handle


_DOC = (
    "\n\n**Idempotency-Key** (optional header): retrying with the same key and the same body "
    "returns the first response (status, body, `Location`, `ETag`) with "
    "`Idempotent-Replayed: true`, and writes nothing again. Keys belong to the caller (another "
    "user's or client's same key is another key) and are remembered for "
    "`VETERAN_CARE_IDEMPOTENCY_KEY_HOURS`. A failed request (4xx, 5xx) does not keep its key. "
    "409 `idempotency-key-in-use`: a request with this key is still running (retry after "
    "`Retry-After`); 422 `idempotency-key-reused`: the key was used with another body or "
    "operation."
)


def document(operation: dict[str, Any]) -> None:
    """OpenAPI: describe the replay and the 409/422 answers on operations with the header."""
    names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "header"}
    if service.HEADER not in names:
        return
    operation["description"] = (operation.get("description", "") + _DOC).strip()
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            response.setdefault("headers", {})[service.REPLAYED_HEADER] = {
                "description": "`true` when this is the stored response of an earlier request "
                "with the same Idempotency-Key.",
                "schema": {"type": "string", "enum": ["true"]},
            }
    conflict = operation["responses"].get("409")
    if conflict is None:
        operation["responses"]["409"] = conflict = {
            "description": "",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    conflict["description"] = (
        conflict["description"] + " `idempotency-key-in-use`: a request with this "
        "Idempotency-Key is still running."
    ).strip()
    unprocessable = operation["responses"].get("422")
    if unprocessable is not None:
        unprocessable["description"] += (
            " `idempotency-key-reused`: the Idempotency-Key was used for another request."
        )
