"""The hash chain: each row's hash covers its content and the previous row's hash."""

import hashlib
import json

from veteran_care.models import AuditEvent

GENESIS = "0" * 64


def content(event: AuditEvent) -> str:
    return json.dumps(
        [
            event.occurred_at.isoformat(),
            event.actor_kind,
            str(event.actor_id) if event.actor_id else None,
            event.actor_login,
            event.action,
            event.operation,
            event.resource_type,
            event.resource_id,
            str(event.beneficiary_id) if event.beneficiary_id else None,
            event.request_id,
            event.client_address,
            event.outcome,
            event.status_code,
            event.changed_fields,
            event.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(f"{prev_hash}|{content(event)}".encode()).hexdigest()
