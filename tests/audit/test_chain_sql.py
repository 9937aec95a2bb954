"""The database computes an audit event's hash as chain_hash does, in the insert of a
transaction's one event (both backends)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from veteran_care.audit.chain import GENESIS, chain_hash, content
from veteran_care.audit.service import _CHAINED_COLUMNS, _INSERT_CHAINED
from veteran_care.db.base import utcnow
from veteran_care.models import AuditEvent

AWKWARD = "Nguyễn Văn Đức's \\ 'quoted' \\' ; DROP TABLE audit_events; -- \"x\" %s $1 ¥"


def _event(detail: str, changed: list[str] | None) -> AuditEvent:
    return AuditEvent(
        occurred_at=utcnow(),
        actor_kind="user",
        actor_id=uuid.uuid4(),
        actor_login="o'brien\\",
        action="update",
        operation="update_beneficiary",
        resource_type="beneficiary",
        resource_id=str(uuid.uuid4()),
        beneficiary_id=uuid.uuid4(),
        request_id="req-1",
        client_address="127.0.0.1",
        outcome="success",
        status_code=None,
        changed_fields=changed,
        detail=detail,
    )


async def test_the_database_chains_one_event_as_chain_hash_does(
    backend: str, connection: AsyncConnection
) -> None:
    """One event of a transaction is chained by the database, in its INSERT (SQLite through
    the sha256 function registered on its connections)."""
    latest = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
    for event in (_event(AWKWARD, ["full_name", "phone"]), _event("plain", None)):
        before = (await connection.execute(latest)).first()
        prev = before.hash if before else GENESIS
        row = {c.key: getattr(event, c.key) for c in _CHAINED_COLUMNS}
        await connection.execute(_INSERT_CHAINED[backend], {**row, "content": content(event)})
        inserted = (await connection.execute(latest)).one()
        assert (inserted.detail, inserted.actor_login) == (event.detail, event.actor_login)
        assert inserted.prev_hash == prev
        assert inserted.hash == chain_hash(prev, event)
