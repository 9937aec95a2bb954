"""What the booking's statements are built from: Core tables and shared bind parameters.

A booking's statements are built once, at import, on the tables rather than the mapped classes
(decision 0015); this module holds those tables, the bind parameters several statements share,
and the two helpers that build a statement for each backend: a list parameter as one array on
PostgreSQL and as an expanding IN on SQLite. It builds no statement itself; the booking's facts
(``booking_facts``), its seats and rows (``booking_repository``) and PostgreSQL's one-statement
booking (``booking_at_once``) are built from it.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Date, Table, Uuid, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import (
    Appointment,
    AppointmentStatusChange,
    Beneficiary,
    Campaign,
    CampaignFacility,
    Checkup,
    Facility,
    InsuranceCard,
    Message,
    Session,
)


def _table(mapped: Any) -> Table:
    table: Table = mapped.__table__
    return table


FACILITIES = _table(Facility)
BENEFICIARIES = _table(Beneficiary)
CAMPAIGNS = _table(Campaign)
CAMPAIGN_FACILITIES = _table(CampaignFacility)
CARDS = _table(InsuranceCard)
SESSIONS = _table(Session)
CHECKUPS = _table(Checkup)
APPOINTMENTS = _table(Appointment)
HISTORY = _table(AppointmentStatusChange)
MESSAGES = _table(Message)

FACILITY_ID = bindparam("facility_id", type_=Uuid())
BENEFICIARY_ID = bindparam("beneficiary_id", type_=Uuid())
CAMPAIGN_ID = bindparam("campaign_id", type_=Uuid())
DAY = bindparam("day", type_=Date())


def one_of(column: Any, name: str, item_type: Any, *, postgresql: bool, value: Any = None) -> Any:
    """``column IN (the list parameter name)`` (or of ``value``, a fixed list). On PostgreSQL
    ``= ANY`` of one array parameter: the statement is sent as it was compiled, where an
    expanding IN is rendered again for each execution, with as many parameters as the list
    has items (SQLite has no arrays)."""
    if postgresql:
        return column == any_(bindparam(name, value, type_=ARRAY(item_type)))
    return column.in_(bindparam(name, value, type_=item_type, expanding=True))


def by_backend(build: Callable[[bool], Any]) -> dict[bool, Any]:
    """The statement for PostgreSQL (True) and for SQLite (False)."""
    return {True: build(True), False: build(False)}


def on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"
