"""The role × operation matrix: who may do what. Deny by default: a permission absent from the
table is granted to nobody; ``allow()`` (``auth.dependencies``) enforces it."""

from enum import StrEnum

from veteran_care.models import Role


class Permission(StrEnum):
    self = "self"  # one's own account: who am I, log out
    reference_read = "reference:read"
    reference_write = "reference:write"  # categories: add, names, check intervals
    facilities_read = "facilities:read"
    facilities_write = "facilities:write"
    registry_read = "registry:read"  # beneficiaries and cards (reporter: identifiers masked)
    registry_write = "registry:write"
    scheduling_read = "scheduling:read"  # services, sessions, checkups, appointments, campaigns
    scheduling_write = "scheduling:write"
    clinical_read = "clinical:read"  # results, conclusions, health timeline
    clinical_write = "clinical:write"
    medicines_write = "medicines:write"  # the catalogue
    pharmacy_read = "pharmacy:read"  # stock, ledger, dispensing log
    pharmacy_write = "pharmacy:write"
    queue_call = "queue:call"  # call the next number of a specialty's line, served, absent
    reports_read = "reports:read"  # attendance, coverage, dispensing aggregates
    reports_health = "reports:health"  # classification and diagnoses
    accounts_manage = "accounts:manage"
    audit_read = "audit:read"


ALL_ROLES = frozenset(Role)


def _roles(names: str) -> frozenset[Role]:
    return frozenset(Role(name) for name in names.split())


MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.self: ALL_ROLES,
    Permission.reference_read: ALL_ROLES,
    Permission.reference_write: _roles("admin"),
    Permission.facilities_read: ALL_ROLES,
    Permission.facilities_write: _roles("admin"),
    Permission.registry_read: _roles("admin scheduler clinician pharmacist reporter"),
    Permission.registry_write: _roles("admin scheduler"),
    Permission.scheduling_read: _roles("admin scheduler clinician"),
    Permission.scheduling_write: _roles("admin scheduler"),
    Permission.clinical_read: _roles("admin clinician"),
    Permission.clinical_write: _roles("clinician"),
    Permission.medicines_write: _roles("admin pharmacist"),
    Permission.pharmacy_read: _roles("admin pharmacist clinician"),
    Permission.pharmacy_write: _roles("pharmacist"),
    Permission.queue_call: _roles("admin scheduler clinician"),
    Permission.reports_read: _roles("admin reporter scheduler clinician pharmacist"),
    Permission.reports_health: _roles("admin clinician"),
    Permission.accounts_manage: _roles("admin"),
    Permission.audit_read: _roles("auditor"),
}
# Roles that see national ID, BHXH and card numbers in full; others see the last 4 digits.
IDENTIFIER_ROLES = _roles("admin scheduler clinician pharmacist")


_READS = "self reference:read facilities:read reports:read reports:health"
NATION_WIDE = frozenset(map(Permission, _READS.split()))  # all a nation-wide account may (0054)


def allowed_roles(permission: Permission) -> frozenset[Role]:
    return MATRIX.get(permission, frozenset())


def is_allowed(roles: frozenset[Role], permission: Permission) -> bool:
    return bool(roles & allowed_roles(permission))


def describe(permission: Permission) -> str:
    roles = ", ".join(sorted(r.value for r in allowed_roles(permission))) or "nobody"
    return f"Permission `{permission.value}`: {roles}."
