"""Claim an Idempotency-Key, replay the response it stored, store the first response.

Two ways, by how the operation writes (docs/decisions/0009):

- **In the request's transaction** (every create but two): the key is checked inside the write
  transaction and its row, holding the response, is inserted in that same transaction just before
  the commit. A crash leaves both the write and the key, or neither. On PostgreSQL a transaction
  advisory lock on (principal, key), taken without waiting, tells a replay that arrives while the
  first request is still running (409). On SQLite writers are serialised (``BEGIN IMMEDIATE``): a
  replay waits for the first request to commit and then gets its response.
- **Long-running operations that commit in chunks** (bulk scheduling, import): a ``running`` row
  is committed before the work starts (a replay meanwhile gets 409), the response is stored when
  the work ends, and the claim is dropped when it fails. A claim whose process died is taken over
  after ``RUNNING_LEASE``: both operations are safe to run again by design.
"""

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.db.engine import WRITE_OPTION
from veteran_care.errors import Conflict, Unprocessable
from veteran_care.idempotency import repository
from veteran_care.kit.clock import utcnow
from veteran_care.models import IdempotencyKey, IdempotencyState

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# What a replay answers with, besides status and body (Content-Length is recomputed).
STORED_HEADERS = ("content-type", "location", "etag")
RUNNING_LEASE = timedelta(minutes=15)
_CHUNK = 65536


class KeyInUse(Conflict):
    code = "idempotency-key-in-use"


class KeyReused(Unprocessable):
    code = "idempotency-key-reused"


class Replay(Exception):
    """Raised by the dependency to answer with a stored response; caught by the route class."""

    def __init__(self, response: Response) -> None:
        super().__init__("replay")
        self.response = response


@dataclass(frozen=True)
class Claim:
    principal_kind: str
    principal_id: uuid.UUID
    key: str
    request_hash: str
    operation: str
    created_at: datetime
    expires_at: datetime
    # The request's write session; None: claimed in a transaction of its own (long-running).
    session: AsyncSession | None

    @property
    def lock_key(self) -> int:
        """A signed 64-bit key for PostgreSQL's advisory locks."""
        digest = hashlib.sha256(
            f"idempotency|{self.principal_kind}|{self.principal_id}|{self.key}".encode()
        ).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


async def fingerprint(request: Request) -> str:
    """HMAC-SHA-256 of method, path, query and canonical body: JSON with sorted keys and no
    whitespace, so that key order and formatting do not make another request; for a multipart
    upload, each field's name and value (a file: its content). Keyed with the secret key: a
    body may hold a password (POST /users), which a plain hash would expose to guessing."""
    body = hashlib.sha256()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()  # already parsed by FastAPI: cached
        for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
            body.update(json.dumps(name).encode())
            if isinstance(value, str):
                body.update(json.dumps(value).encode())
                continue
            while chunk := await value.read(_CHUNK):
                body.update(chunk)
            await value.seek(0)
    else:
        raw = await request.body()
        try:
            canonical = json.dumps(
                json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
        except ValueError:
            canonical = raw
        body.update(canonical)
    query = sorted(parse_qsl(request.url.query, keep_blank_values=True))
    parts = [request.method, request.url.path, query, body.hexdigest()]
    secret: str = request.app.state.settings.secret_key
    return hmac.new(secret.encode(), json.dumps(parts).encode(), hashlib.sha256).hexdigest()


async def _new_claim(
    request: Request, actor: Actor, key: str, session: AsyncSession | None
) -> Claim:
    principal = actor.require()
    now = utcnow()
    hours: int = request.app.state.settings.idempotency_key_hours
    return Claim(
        principal_kind=principal.kind,
        principal_id=principal.account_id,
        key=key,
        request_hash=await fingerprint(request),
        operation=actor.operation or request.url.path,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        session=session,
    )


def _replay_response(row: IdempotencyKey) -> Response:
    headers = dict(row.response_headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(
        content=row.response_body or b"", status_code=row.status_code or 200, headers=headers
    )


async def _check(session: AsyncSession, claim: Claim, actor: Actor) -> None:
    """Lock the key (PostgreSQL), then replay (raise Replay), refuse, or let the request run."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql and not await repository.try_lock(session, claim.lock_key):
        raise _in_use()
    row = await repository.get(session, claim.principal_kind, claim.principal_id, claim.key)
    if row is None:
        return
    now = claim.created_at
    abandoned = row.state == IdempotencyState.running and (
        row.locked_until is None or row.locked_until <= now
    )
    if row.expires_at <= now or abandoned:
        # Forgotten, and out of the identity map: the new row has the same primary key.
        session.expunge(row)
        await repository.remove(session, claim.principal_kind, claim.principal_id, claim.key)
        return
    if row.request_hash != claim.request_hash:
        raise KeyReused(
            "This Idempotency-Key was used for another request (another operation, path or "
            "body); use a new key for a new request.",
        )
    if row.state == IdempotencyState.running:
        raise _in_use()
    await audit.record(
        session,
        actor,
        "replay",
        resource_type="idempotency-key",
        status_code=row.status_code,
        detail=claim.operation,
    )
    raise Replay(_replay_response(row))


def _in_use() -> KeyInUse:
    return KeyInUse(
        "A request with this Idempotency-Key is still being processed; retry once it is done.",
        headers={"Retry-After": "1"},
    )


async def claim_in_transaction(
    request: Request, session: AsyncSession, actor: Actor, key: str
) -> Claim:
    """Check the key in the request's own write transaction (raises Replay, 409 or 422)."""
    claim = await _new_claim(request, actor, key, session)
    await _check(session, claim, actor)
    return claim


async def claim_separately(request: Request, actor: Actor, key: str) -> Claim:
    """Commit a ``running`` claim before a long-running operation starts."""
    claim = await _new_claim(request, actor, key, None)
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        await session.connection(execution_options={WRITE_OPTION: True})
        try:
            await _check(session, claim, actor)
        except Replay:
            await session.commit()  # the audit event of the replay
            raise
        session.add(
            _row(claim, IdempotencyState.running, locked_until=claim.created_at + RUNNING_LEASE)
        )
        await session.commit()
    return claim


def _row(claim: Claim, state: IdempotencyState, **fields: object) -> IdempotencyKey:
    return IdempotencyKey(
        principal_kind=claim.principal_kind,
        principal_id=claim.principal_id,
        key=claim.key,
        request_hash=claim.request_hash,
        operation=claim.operation[:80],
        state=state,
        created_at=claim.created_at,
        expires_at=claim.expires_at,
        **fields,
    )


def _stored(response: Response) -> tuple[dict[str, str], bytes]:
    headers = {
        name: value for name in STORED_HEADERS if (value := response.headers.get(name)) is not None
    }
    return headers, bytes(response.body)


async def complete(request: Request, claim: Claim, response: Response) -> None:
    """Store the response of a request that succeeded (2xx); drop a failed one's claim."""
    if not 200 <= response.status_code < 300:
        await release(request, claim)
        return
    headers, body = _stored(response)
    if claim.session is not None:
        row = _row(
            claim,
            IdempotencyState.done,
            status_code=response.status_code,
            response_headers=headers,
            response_body=body,
        )
        claim.session.add(row)
        await claim.session.flush()
        return
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        await session.connection(execution_options={WRITE_OPTION: True})
        await repository.finish(
            session,
            claim.principal_kind,
            claim.principal_id,
            claim.key,
            response.status_code,
            headers,
            body,
        )
        await session.commit()


async def release(request: Request, claim: Claim) -> None:
    """A failed request leaves no key behind: the client may retry with it. In the request's
    transaction there is nothing to do (its rollback takes the key along); a separate claim is
    deleted. Never raises: a failure here must not hide the request's own error."""
    if claim.session is not None:
        return
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    try:
        async with sessionmaker() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            await repository.remove(
                session,
                claim.principal_kind,
                claim.principal_id,
                claim.key,
                state=IdempotencyState.running,
            )
            await session.commit()
    except Exception:
        logger.exception("could not release an idempotency key; it frees itself after its lease")


async def purge_expired(session: AsyncSession) -> int:
    """Delete expired keys (``veteran-care purge-idempotency-keys``; lookups ignore them)."""
    return await repository.purge_expired(session, utcnow())
