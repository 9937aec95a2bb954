"""Who is calling: the authenticated account, its roles and scope, and where the call came from."""

import uuid
from dataclasses import dataclass

from veteran_care.auth.permissions import IDENTIFIER_ROLES
from veteran_care.models import Role

SYSTEM_ACCOUNT_ID = uuid.UUID(int=0)


@dataclass(frozen=True)
class Principal:
    account_id: uuid.UUID
    kind: str  # user, client, or system (the CLI acting on its own)
    login: str
    roles: frozenset[Role]
    province_wide: bool
    facility_ids: frozenset[uuid.UUID]  # linked, and every one of province_codes (decision 0054)
    province_codes: frozenset[str] = frozenset()  # a province scope: their residents seen too
    nation_wide: bool = False  # every province served, reports only (decision 0054)

    def in_scope(self, facility_id: uuid.UUID | None) -> bool:
        """May act on a record of this facility (None: a record of no facility)."""
        return self.scope is None or facility_id in self.facility_ids

    @property
    def scope(self) -> frozenset[uuid.UUID] | None:
        """The facilities whose records this principal may see; None: every facility."""
        return None if self.province_wide or self.nation_wide else self.facility_ids

    @property
    def sees_identifiers(self) -> bool:
        return bool(self.roles & IDENTIFIER_ROLES)


@dataclass(frozen=True)
class Actor:
    """The principal plus request metadata: what the audit trail records."""

    principal: Principal | None
    request_id: str | None
    client_address: str | None
    operation: str | None = None

    def require(self) -> Principal:
        if self.principal is None:  # pragma: no cover - guarded routes always have one
            raise RuntimeError("no authenticated principal")
        return self.principal


def system_actor(operation: str) -> Actor:
    """The command line acting on its own (demo data, imports): audited as `system`."""
    principal = Principal(
        account_id=SYSTEM_ACCOUNT_ID,
        kind="system",
        login="system",
        roles=frozenset(Role),
        province_wide=True,
        facility_ids=frozenset(),
    )
    return Actor(principal, request_id=None, client_address=None, operation=operation)
