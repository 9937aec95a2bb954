"""The statements of a single booking: built once, Core only.

A booking is the request staff make most, and under load its CPU is the bottleneck (decision
0015). Its statements are therefore built once, at import, with bind parameters, on the tables
rather than the mapped classes: each execution skips building the expression, computing its
cache key and the ORM's compile and load steps, and the rows are written without a unit of
work. They are the same statements as before, with the same guarantees (decision 0007): the
day's sessions are locked in id order and read after the lock, and the places are taken by one
conditional UPDATE.
"""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    String,
    Table,
    Uuid,
    and_,
    any_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import (
    ACTIVE,
    Appointment,
    AppointmentStatusChange,
    Beneficiary,
    BeneficiaryStatus,
    Campaign,
    CampaignFacility,
    CardStatus,
    Checkup,
    Facility,
    InsuranceCard,
    PartOfDay,
    Session,
    SessionStatus,
)


def _table(mapped: Any) -> Table:
    table: Table = mapped.__table__
    return table


_facilities = _table(Facility)
_beneficiaries = _table(Beneficiary)
_campaigns = _table(Campaign)
_campaign_facilities = _table(CampaignFacility)
_cards = _table(InsuranceCard)
_sessions = _table(Session)
_checkups = _table(Checkup)
_appointments = _table(Appointment)
_history = _table(AppointmentStatusChange)

_facility_id = bindparam("facility_id", type_=Uuid())
_beneficiary_id = bindparam("beneficiary_id", type_=Uuid())
_campaign_id = bindparam("campaign_id", type_=Uuid())
_day = bindparam("day", type_=Date())


def _one_of(column: Any, name: str, item_type: Any, *, postgresql: bool, value: Any = None) -> Any:
    """``column IN (the list parameter name)`` (or of ``value``, a fixed list). On PostgreSQL
    ``= ANY`` of one array parameter: the statement is sent as it was compiled, where an
    expanding IN is rendered again for each execution, with as many parameters as the list
    has items (SQLite has no arrays)."""
    if postgresql:
        return column == any_(bindparam(name, value, type_=ARRAY(item_type)))
    return column.in_(bindparam(name, value, type_=item_type, expanding=True))


def _by_backend(build: Callable[[bool], Any]) -> dict[bool, Any]:
    """The statement for PostgreSQL (True) and for SQLite (False)."""
    return {True: build(True), False: build(False)}


def on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True, slots=True)
class BookingCheck:
    """What a booking needs to know before it takes places, from one statement."""

    facility_exists: bool
    status: BeneficiaryStatus | None  # None: there is no such beneficiary
    has_valid_card: bool
    already_booked: bool
    # The booking's campaign, if it names one: its dates (None: there is no such campaign) and
    # whether the facility takes part in it.
    campaign_starts_on: date | None = None
    campaign_ends_on: date | None = None
    facility_in_campaign: bool = False


def _check(postgresql: bool, facility_id: Any = _facility_id) -> Any:
    """The columns of a ``BookingCheck``, in its order."""
    campaign = select(_campaigns.c.starts_on, _campaigns.c.ends_on).where(
        _campaigns.c.id == _campaign_id
    )
    return select(
        exists().where(_facilities.c.id == facility_id).label("facility_exists"),
        select(_beneficiaries.c.status)
        .where(_beneficiaries.c.id == _beneficiary_id)
        .scalar_subquery()
        .label("status"),
        exists()
        .where(
            _cards.c.beneficiary_id == _beneficiary_id,
            _cards.c.status == CardStatus.active,
            _cards.c.valid_from <= _day,
            _cards.c.valid_to >= _day,
        )
        .label("has_valid_card"),
        exists()
        .where(
            _appointments.c.beneficiary_id == _beneficiary_id,
            _appointments.c.date == _day,
            _one_of(_appointments.c.specialty_code, "codes", String(), postgresql=postgresql),
            _one_of(
                _appointments.c.status,
                "active",
                String(),
                postgresql=postgresql,
                value=[s.value for s in ACTIVE],
            ),
        )
        .label("already_booked"),
        campaign.with_only_columns(_campaigns.c.starts_on)
        .scalar_subquery()
        .label("campaign_starts_on"),
        campaign.with_only_columns(_campaigns.c.ends_on)
        .scalar_subquery()
        .label("campaign_ends_on"),
        exists()
        .where(
            _campaign_facilities.c.campaign_id == _campaign_id,
            _campaign_facilities.c.facility_id == facility_id,
        )
        .label("facility_in_campaign"),
    )


_CHECK = _by_backend(_check)


def _booking_check(row: Sequence[Any]) -> BookingCheck:
    return BookingCheck(
        bool(row[0]), row[1], bool(row[2]), bool(row[3]), row[4], row[5], bool(row[6])
    )


async def booking_check(
    session: AsyncSession,
    facility_id: uuid.UUID,
    beneficiary_id: uuid.UUID,
    day: date,
    codes: Sequence[str],
    campaign_id: uuid.UUID | None,
) -> BookingCheck:
    """Whether the facility exists; the person's status, whether a card is valid on the day and
    whether any of these specialties is already booked that day; the campaign's dates and
    whether the facility takes part in it."""
    params = {
        "facility_id": facility_id,
        "beneficiary_id": beneficiary_id,
        "day": day,
        "codes": list(codes),
        "campaign_id": campaign_id,
    }
    row = (await session.execute(_CHECK[on_postgresql(session)], params)).one()
    return _booking_check(row)


@dataclass(frozen=True, slots=True)
class DaySession:
    """An open session of the booking's day, as read under its row lock."""

    id: uuid.UUID
    specialty_code: str
    part_of_day: PartOfDay
    capacity: int
    booked: int


def _day_sessions(postgresql: bool, facility_id: Any = _facility_id) -> Any:
    """The day's open sessions of the specialties (``codes``), in id order: the order every
    booking, cancellation and bulk chunk locks them in, so that they never deadlock."""
    return (
        select(
            _sessions.c.id,
            _sessions.c.specialty_code,
            _sessions.c.part_of_day,
            _sessions.c.capacity,
            _sessions.c.booked,
        )
        .where(
            _sessions.c.facility_id == facility_id,
            _one_of(_sessions.c.specialty_code, "codes", String(), postgresql=postgresql),
            _sessions.c.date == _day,
            _sessions.c.status == SessionStatus.open,
        )
        .order_by(_sessions.c.id)
    )


def _lock_day(postgresql: bool) -> Any:
    return _day_sessions(postgresql).with_for_update()


_LOCK_DAY = _by_backend(_lock_day)


async def lock_open_sessions(
    session: AsyncSession, facility_id: uuid.UUID, codes: Sequence[str], day: date
) -> list[DaySession]:
    """The day's open sessions of these specialties, locked in id order, read after the lock:
    their `booked` counts are current. SQLite renders no FOR UPDATE; its write transactions
    are serialised by BEGIN IMMEDIATE."""
    params = {"facility_id": facility_id, "codes": list(codes), "day": day}
    rows = await session.execute(_LOCK_DAY[on_postgresql(session)], params)
    return [DaySession(*row) for row in rows]


# One place more in a session that is open and not full.
_TAKE_ONE = (_sessions.c.status == SessionStatus.open, _sessions.c.booked < _sessions.c.capacity)
_ONE_MORE = {
    "booked": _sessions.c.booked + 1,
    "version": _sessions.c.version + 1,
    "updated_at": bindparam("now"),
}


def _take_one_each(postgresql: bool) -> Any:
    return (
        update(_sessions)
        .where(_one_of(_sessions.c.id, "ids", Uuid(), postgresql=postgresql), *_TAKE_ONE)
        .values(_ONE_MORE)
        .returning(_sessions.c.id)
    )


_TAKE_ONE_EACH = _by_backend(_take_one_each)


async def take_seat_in_each(
    session: AsyncSession, session_ids: Sequence[uuid.UUID], now: datetime
) -> set[uuid.UUID]:
    """One place in each of these sessions, where open and not full: one atomic statement.
    Returns the sessions where a place was taken."""
    statement = _TAKE_ONE_EACH[on_postgresql(session)]
    result = await session.execute(statement, {"ids": list(session_ids), "now": now})
    return set(result.scalars())


_INSERT_CHECKUP = insert(_checkups)
_INSERT_APPOINTMENT = insert(_appointments)
_INSERT_HISTORY = insert(_history)

# What differs between the appointments of one checkup (and so between their history rows):
# the rest of their columns is the same for all of them.
_PER_APPOINTMENT = ("id", "session_id", "specialty_code", "rescheduled_from_id")


async def insert_checkup(
    session: AsyncSession,
    checkup: Mapping[str, Any],
    appointments: Sequence[Mapping[str, Any]],
    history: Sequence[Mapping[str, Any]],
) -> None:
    """SQLite: the checkup, its appointments and their first history rows (columns by name,
    every column given), in that order: each references the one before."""
    await session.execute(_INSERT_CHECKUP, checkup)
    await session.execute(_INSERT_APPOINTMENT, appointments)
    await session.execute(_INSERT_HISTORY, history)


def _book_at_once() -> Any:
    """PostgreSQL: a whole booking in one statement. It reads the booking's facts (a
    ``BookingCheck``) and, only when they allow the booking, locks the day's open sessions of
    the specialties in id order (``FOR NO KEY UPDATE``: a foreign key check of another booking
    does not wait for it), chooses for each specialty the first session with a place (the
    preferred part of day first, then by name, as ``take_places`` does), takes those places,
    and writes the checkup, an appointment for each place taken and their history rows.
    Answers one row per place taken: the facts, then (specialty code, session id); one row of
    facts and no place when none was taken.

    The locks are therefore taken in the booking's last statement before its commit: held for
    one round trip rather than four (decision 0016), and the facts cost no round trip of their
    own (decision 0019). A refused booking writes nothing; a specialty without a place gets no
    appointment, and the caller then refuses the booking, and its transaction, these rows
    included, is rolled back."""
    # Not named after a column of sessions: an UPDATE would take such a parameter as a value
    # to SET.
    at_facility = bindparam("at_facility", type_=Uuid())
    facts = _check(True, at_facility).cte("facts")
    # The rules the caller checks again, one by one, to say which one refused: what the
    # caller's own part of them says (the actor's scope, the date not past, an explicit card
    # override), then the facts'.
    allowed = (
        select(
            and_(
                bindparam("allowed_here_and_now", type_=Boolean()),
                facts.c.facility_exists,
                facts.c.status == BeneficiaryStatus.active,
                or_(
                    _campaign_id.is_(None),
                    and_(
                        facts.c.facility_in_campaign,
                        facts.c.campaign_starts_on <= _day,
                        facts.c.campaign_ends_on >= _day,
                    ),
                ),
                or_(facts.c.has_valid_card, bindparam("card_override", type_=Boolean())),
                ~facts.c.already_booked,
            )
        )
        .select_from(facts)
        .scalar_subquery()
    )
    locked = _day_sessions(True, at_facility).with_for_update(key_share=True).cte("locked")
    chosen = (
        select(locked.c.id)
        .where(allowed, locked.c.booked < locked.c.capacity)
        .ext(distinct_on(locked.c.specialty_code))
        .order_by(
            locked.c.specialty_code,
            locked.c.part_of_day.is_distinct_from(bindparam("preferred", type_=String())),
            locked.c.part_of_day,
        )
        .cte("chosen")
    )
    taken = (
        update(_sessions)
        .where(_sessions.c.id == chosen.c.id, *_TAKE_ONE)
        .values(_ONE_MORE)
        .returning(_sessions.c.id, _sessions.c.specialty_code)
        .cte("taken")
    )
    checkup_values = [bindparam(f"checkup_{c.key}", type_=c.type) for c in _checkups.c]
    checkup = insert(_checkups).from_select(
        [c.key for c in _checkups.c], select(*checkup_values).where(allowed)
    )
    per_code = select(
        *(
            func.unnest(
                bindparam(f"appointment_{key}", type_=ARRAY(_appointments.c[key].type))
            ).label(key)
            for key in _PER_APPOINTMENT
            if key != "session_id"
        )
    ).subquery("per_code")
    plan = (
        select(per_code, taken.c.id.label("session_id"))
        .join_from(per_code, taken, per_code.c.specialty_code == taken.c.specialty_code)
        .cte("plan")
    )
    shared = [c for c in _appointments.c if c.key not in _PER_APPOINTMENT]
    appointments = insert(_appointments).from_select(
        [*_PER_APPOINTMENT, *(c.key for c in shared)],
        select(
            *(plan.c[key] for key in _PER_APPOINTMENT),
            *(bindparam(f"appointment_{c.key}", type_=c.type) for c in shared),
        ),
    )
    history_columns = [c for c in _history.c if c.key not in ("id", "appointment_id")]
    history = insert(_history).from_select(
        ["appointment_id", *(c.key for c in history_columns)],
        select(plan.c.id, *(bindparam(f"history_{c.key}", type_=c.type) for c in history_columns)),
    )
    return (
        select(*facts.c, taken.c.specialty_code, taken.c.id)
        .select_from(facts.outerjoin(taken, true()))
        .add_cte(checkup.cte("new_checkup"))
        .add_cte(appointments.cte("new_appointments"))
        .add_cte(history.cte("new_history"))
    )


_BOOK_AT_ONCE = _book_at_once()


async def book_at_once(
    session: AsyncSession,
    checkup: Mapping[str, Any],
    appointments: Sequence[Mapping[str, Any]],
    history: Mapping[str, Any],
    preferred: PartOfDay | None,
    *,
    allowed_here_and_now: bool,
    card_override: bool,
) -> tuple[BookingCheck, dict[str, uuid.UUID]]:
    """PostgreSQL: check, take the places and write the booking (``_book_at_once``):
    ``checkup`` and ``appointments`` by column name, every column given but the appointments'
    ``session_id`` (they differ only in ``_PER_APPOINTMENT``); ``history``: the columns of the
    first history row, without ``appointment_id``. ``allowed_here_and_now``: the actor may book
    at this facility and the date is not past; ``card_override``: the booking may go without a
    valid card. Answers the booking's facts, and the session taken for each specialty code that
    had a place (none unless the facts allowed the booking)."""
    params: dict[str, Any] = {
        "at_facility": checkup["facility_id"],
        "beneficiary_id": checkup["beneficiary_id"],
        "campaign_id": checkup["campaign_id"],
        "day": checkup["date"],
        "codes": [a["specialty_code"] for a in appointments],
        "preferred": preferred.value if preferred else None,
        "now": checkup["created_at"],
        "allowed_here_and_now": allowed_here_and_now,
        "card_override": card_override,
    }
    params.update((f"checkup_{key}", value) for key, value in checkup.items())
    for key, value in appointments[0].items():
        if key in _PER_APPOINTMENT:
            params[f"appointment_{key}"] = [a[key] for a in appointments]
        else:
            params[f"appointment_{key}"] = value
    params.update((f"history_{key}", value) for key, value in history.items())
    rows = (await session.execute(_BOOK_AT_ONCE, params)).all()
    taken = {row[-2]: row[-1] for row in rows if row[-1] is not None}
    return _booking_check(rows[0]), taken
