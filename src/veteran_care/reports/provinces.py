"""The province of a report's row, and the people a report may count (decision 0061).

Two kinds of report, two provinces:
- a report of events (checkups, examinations, dispenses) counts each event in the province of
  the facility where it took place (:func:`by_facility_province`);
- a report of people (coverage, card coverage) counts each person in the province they live
  in, by their commune; a person of no known commune in the province of the facility they are
  registered at (:func:`by_home_province`).

A province-scoped account (decision 0054) counts the people registered at its facilities and
the people living in its provinces, registered anywhere or nowhere (:class:`People`)."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from veteran_care.auth.principal import Principal
from veteran_care.beneficiaries.repository import resident_clause
from veteran_care.models import Beneficiary, Commune, Facility

_EVENT_FACILITY, _EVENT_COMMUNE = aliased(Facility), aliased(Commune)
_HOME = aliased(Commune)
_REGISTERED_AT, _REGISTERED_COMMUNE = aliased(Facility), aliased(Commune)

EVENT_PROVINCE: Any = _EVENT_COMMUNE.province_code
"""The province of the facility joined by :func:`by_facility_province`."""
HOME_PROVINCE: Any = func.coalesce(_HOME.province_code, _REGISTERED_COMMUNE.province_code)
"""The province a person lives in (else that of their facility), joined by
:func:`by_home_province`."""


def by_facility_province(stmt: Select[Any], facility: Any) -> Select[Any]:
    """``stmt`` with the province of the facility ``facility`` names (:data:`EVENT_PROVINCE`)."""
    return stmt.outerjoin(_EVENT_FACILITY, _EVENT_FACILITY.id == facility).outerjoin(
        _EVENT_COMMUNE, _EVENT_COMMUNE.code == _EVENT_FACILITY.commune_code
    )


def by_home_province(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (of beneficiaries) with the province each lives in (:data:`HOME_PROVINCE`)."""
    return (
        stmt.outerjoin(_HOME, _HOME.code == Beneficiary.commune_code)
        .outerjoin(_REGISTERED_AT, _REGISTERED_AT.id == Beneficiary.registered_facility_id)
        .outerjoin(_REGISTERED_COMMUNE, _REGISTERED_COMMUNE.code == _REGISTERED_AT.commune_code)
    )


@dataclass(frozen=True)
class People:
    """The people a report of people may count: everyone (``facilities`` None), or those
    registered at ``facilities`` and those living in ``provinces``."""

    facilities: frozenset[uuid.UUID] | None = None
    provinces: frozenset[str] = frozenset()

    @classmethod
    def of(cls, principal: Principal) -> "People":
        if principal.scope is None:
            return cls()
        return cls(principal.scope, principal.province_codes)

    def clause(self) -> ColumnElement[bool]:
        if self.facilities is None:
            return true()
        registered = Beneficiary.registered_facility_id.in_(self.facilities)
        if not self.provinces:
            return registered
        return or_(registered, resident_clause(self.provinces))
