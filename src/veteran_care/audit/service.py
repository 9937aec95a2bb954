"""Recording audit events (in the caller's transaction) and verifying the chain."""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import Table, bindparam, func, insert, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session as OrmSession

from veteran_care.audit import repository
from veteran_care.audit.chain import GENESIS, chain_hash, content
from veteran_care.auth.principal import Actor
from veteran_care.db.base import utcnow
from veteran_care.db.engine import SQLITE_SHA256_HEX
from veteran_care.db.session import write_session
from veteran_care.models import AuditEvent

logger = logging.getLogger(__name__)

_PENDING = "veteran_care.audit.pending"
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _event(
    actor: Actor,
    action: str,
    *,
    resource_type: str | None = None,
    resource_id: object = None,
    beneficiary_id: uuid.UUID | None = None,
    changed_fields: Sequence[str] | None = None,
    outcome: str = "success",
    status_code: int | None = None,
    detail: str | None = None,
    actor_login: str | None = None,
) -> AuditEvent:
    principal = actor.principal
    return AuditEvent(
        occurred_at=utcnow(),
        actor_kind=principal.kind if principal else "anonymous",
        actor_id=principal.account_id if principal else None,
        actor_login=principal.login if principal else actor_login,
        action=action,
        operation=actor.operation,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        beneficiary_id=beneficiary_id,
        request_id=actor.request_id,
        client_address=actor.client_address,
        outcome=outcome,
        status_code=status_code,
        changed_fields=sorted(changed_fields) if changed_fields is not None else None,
        detail=detail[:200] if detail else None,
    )


def _append(session: AsyncSession, events: Sequence[AuditEvent]) -> None:
    """Queue events on the transaction; they are chained and written at commit (below)."""
    session.sync_session.info.setdefault(_PENDING, []).extend(events)


_AUDIT_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]  # a mapped table
_CHAINED_COLUMNS = [c for c in _AUDIT_EVENTS.columns if c.key not in ("id", "prev_hash", "hash")]
_PREVIOUS = func.coalesce(
    select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1).scalar_subquery(),
    GENESIS,
)


def _insert_chained(hash_of: Any) -> Any:
    """Insert one event chained to the latest row: the database reads the latest hash and
    computes the new one, ``hash_of(text)`` being sha256 in hex of the very text that
    ``chain_hash`` hashes.

    A Core insert into the table, not the ORM entity: the session then runs it as it is,
    with its cache key computed once. Through the entity, every execution took the ORM's
    bulk insert path and built and keyed a new statement: about 250 µs of a SQLite read's
    2.7 ms (bench/README.md)."""
    return insert(_AUDIT_EVENTS).values(
        {
            **{c.key: bindparam(c.key, type_=c.type) for c in _CHAINED_COLUMNS},
            "prev_hash": _PREVIOUS,
            "hash": hash_of(_PREVIOUS.concat("|").concat(bindparam("content"))),
        }
    )


_INSERT_CHAINED = {
    "postgresql": _insert_chained(
        lambda text: func.encode(func.sha256(func.convert_to(text, "UTF8")), "hex")
    ),
    # SQLite has no sha256: db._sqlite_on_connect registers this function on each connection.
    "sqlite": _insert_chained(lambda text: getattr(func, SQLITE_SHA256_HEX)(text)),
}


@sa_event.listens_for(OrmSession, "before_commit")
def _chain_pending(session: OrmSession) -> None:
    """Chain the transaction's queued audit events and add them, as the last work before the
    commit: everything else is flushed first, then the chain lock is taken. No transaction
    ever waits for a row while holding the chain lock, so audit appends cannot deadlock with
    seat or stock updates, and the chain's order is the commit order."""
    pending: list[AuditEvent] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"key": repository.AUDIT_LOCK_KEY})
    if len(pending) == 1:
        # One statement instead of two: the database reads the latest hash and computes the
        # new one, in a statement that starts after the chain lock is held (PostgreSQL) or in
        # SQLite's only write transaction, so it sees the latest commit.
        (event,) = pending
        row = {c.key: getattr(event, c.key) for c in _CHAINED_COLUMNS}
        insert_chained = _INSERT_CHAINED[session.get_bind().dialect.name]
        session.execute(insert_chained, {**row, "content": content(event)})
        return
    latest = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    prev = session.scalars(latest).first() or GENESIS
    for event in pending:
        event.prev_hash = prev
        event.hash = prev = chain_hash(prev, event)
    session.add_all(pending)


@sa_event.listens_for(OrmSession, "after_soft_rollback")
def _drop_pending(session: OrmSession, previous_transaction: object) -> None:
    # Events of work that was rolled back never happened.
    session.info.pop(_PENDING, None)


async def record(session: AsyncSession, actor: Actor, action: str, **fields: Any) -> AuditEvent:
    """Append an event in the caller's transaction: it commits, or vanishes, with the change.

    Fields: resource_type, resource_id, beneficiary_id, changed_fields, outcome, status_code,
    detail, actor_login (for an anonymous caller, e.g. a failed login)."""
    event = _event(actor, action, **fields)
    _append(session, [event])
    return event


async def record_many(
    session: AsyncSession, actor: Actor, action: str, items: Sequence[dict[str, Any]]
) -> None:
    """Append several events in one flush (bulk operations); each item holds `record`'s
    keyword fields."""
    _append(session, [_event(actor, action, **item) for item in items])


async def record_separately(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, action: str, **fields: object
) -> None:
    """Append in a transaction of its own: for denied and failed requests, whose own
    transaction is rolled back. Never raises: a failure here must not hide the original error."""
    try:
        async with write_session(sessionmaker) as session:
            await record(session, actor, action, **fields)
    except Exception:
        logger.exception("could not write the audit event for a failed request")


_FAILURE_ACTIONS = {"GET": "read", "POST": "create", "PATCH": "update", "DELETE": "delete"}


async def record_problem(request: Request, status: int, code: str) -> None:
    """Problem hook: a refused or failed request of an authenticated caller is audited, in a
    transaction of its own (the request's was rolled back)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return
    route = request.scope.get("route")
    beneficiary_id = request.path_params.get("beneficiary_id")
    try:
        beneficiary = uuid.UUID(str(beneficiary_id)) if beneficiary_id else None
    except ValueError:
        beneficiary = None
    actor = Actor(
        principal,
        getattr(request.state, "request_id", None),
        request.client.host if request.client else None,
        getattr(route, "name", None),
    )
    await record_separately(
        request.app.state.sessionmaker,
        actor,
        "access" if status in (401, 403) else _FAILURE_ACTIONS.get(request.method, "request"),
        outcome="denied" if status in (401, 403) else "failed",
        status_code=status,
        beneficiary_id=beneficiary,
        detail=code,
    )


@dataclass(frozen=True)
class Verification:
    rows: int
    first_broken_id: int | None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


async def verify(session: AsyncSession) -> Verification:
    """Walk the whole trail in order; name the first row whose link or hash does not hold."""
    prev = GENESIS
    count = 0
    async for event in repository.stream(session, repository.AuditFilters(), newest_first=False):
        count += 1
        if event.prev_hash != prev:
            return Verification(count, event.id, "does not link to the row before it")
        if chain_hash(prev, event) != event.hash:
            return Verification(count, event.id, "its content does not match its hash")
        prev = event.hash
    return Verification(count, None)
