"""The audit events of FHIR reads and searches: the same trail as /api/v1 (docs/decisions/0008)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor


async def read(
    session: AsyncSession,
    actor: Actor,
    resource_type: str,
    resource_id: uuid.UUID,
    beneficiary_id: uuid.UUID | None,
) -> None:
    await audit.record(
        session,
        actor,
        "read",
        resource_type=resource_type,
        resource_id=resource_id,
        beneficiary_id=beneficiary_id,
    )


async def search(
    session: AsyncSession,
    actor: Actor,
    resource_type: str,
    detail: str,
    beneficiary_id: uuid.UUID | None = None,
) -> None:
    await audit.record(
        session,
        actor,
        "search",
        resource_type=resource_type,
        beneficiary_id=beneficiary_id,
        detail=detail,
    )
