"""PostgreSQL: a whole booking in one statement, built once at import (decisions 0016, 0019).

The statement reads the booking's facts, and only when they allow the booking locks the day's
open sessions of the specialties in id order, chooses a session with a place for each
specialty, takes those places and writes the checkup, its appointments and their first history
rows. It is built from the facts' columns (``booking_facts``) and the seat-taking pieces of
``booking_repository``, with bind parameters only, so each execution sends the statement as it
was compiled. SQLite books in several statements instead (``booking_places``).
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    Uuid,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.messaging.outbox import MESSAGE_COLUMNS
from veteran_care.models import BeneficiaryStatus, PartOfDay
from veteran_care.scheduling.booking_facts import BookingCheck, facts_from_row, facts_select
from veteran_care.scheduling.booking_repository import (
    ONE_MORE,
    PER_APPOINTMENT,
    TAKE_ONE,
    day_sessions,
)
from veteran_care.scheduling.booking_tables import (
    APPOINTMENTS,
    CAMPAIGN_ID,
    CHECKUPS,
    DAY,
    HISTORY,
    MESSAGES,
    SESSIONS,
)


def _allowed(facts: Any) -> Any:
    """Whether the booking is allowed: the rules the caller checks again, one by one, to say
    which one refused: what the caller's own part of them says (the actor's scope, the date not
    past, an explicit card override), then the facts'."""
    return (
        select(
            and_(
                bindparam("allowed_here_and_now", type_=Boolean()),
                facts.c.facility_exists,
                facts.c.status == BeneficiaryStatus.active,
                or_(
                    CAMPAIGN_ID.is_(None),
                    and_(
                        facts.c.facility_in_campaign,
                        facts.c.campaign_starts_on <= DAY,
                        facts.c.campaign_ends_on >= DAY,
                    ),
                ),
                or_(facts.c.has_valid_card, bindparam("card_override", type_=Boolean())),
                ~facts.c.already_booked,
            )
        )
        .select_from(facts)
        .scalar_subquery()
    )


def _taken(allowed: Any, at_facility: Any) -> Any:
    """The places taken, as (session id, specialty code): the day's sessions locked in id
    order, the first with a place chosen for each specialty, one place taken in each."""
    locked = day_sessions(True, at_facility).with_for_update(key_share=True).cte("locked")
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
    return (
        update(SESSIONS)
        .where(SESSIONS.c.id == chosen.c.id, *TAKE_ONE)
        .values(ONE_MORE)
        .returning(SESSIONS.c.id, SESSIONS.c.specialty_code)
        .cte("taken")
    )


def _writes(allowed: Any, taken: Any) -> tuple[Any, Any, Any]:
    """The inserts of the checkup (if allowed), of an appointment for each place taken and of
    their history rows."""
    checkup_values = [bindparam(f"checkup_{c.key}", type_=c.type) for c in CHECKUPS.c]
    checkup = insert(CHECKUPS).from_select(
        [c.key for c in CHECKUPS.c], select(*checkup_values).where(allowed)
    )
    per_code = select(
        *(
            func.unnest(
                bindparam(f"appointment_{key}", type_=ARRAY(APPOINTMENTS.c[key].type))
            ).label(key)
            for key in PER_APPOINTMENT
            if key != "session_id"
        )
    ).subquery("per_code")
    plan = (
        select(per_code, taken.c.id.label("session_id"))
        .join_from(per_code, taken, per_code.c.specialty_code == taken.c.specialty_code)
        .cte("plan")
    )
    shared = [c for c in APPOINTMENTS.c if c.key not in PER_APPOINTMENT]
    appointments = insert(APPOINTMENTS).from_select(
        [*PER_APPOINTMENT, *(c.key for c in shared)],
        select(
            *(plan.c[key] for key in PER_APPOINTMENT),
            *(bindparam(f"appointment_{c.key}", type_=c.type) for c in shared),
        ),
    )
    history_columns = [c for c in HISTORY.c if c.key not in ("id", "appointment_id")]
    history = insert(HISTORY).from_select(
        ["appointment_id", *(c.key for c in history_columns)],
        select(plan.c.id, *(bindparam(f"history_{c.key}", type_=c.type) for c in history_columns)),
    )
    return checkup, appointments, history


def _message(allowed: Any) -> Any:
    """The insert of the booking's message into the outbox (if allowed): in this statement, so
    that no statement of the booking's comes after the one that locks its places."""
    values = [bindparam(f"message_{key}", type_=MESSAGES.c[key].type) for key in MESSAGE_COLUMNS]
    return insert(MESSAGES).from_select(MESSAGE_COLUMNS, select(*values).where(allowed))


def _book_at_once() -> Any:
    """PostgreSQL: a whole booking in one statement. It reads the booking's facts (a
    ``BookingCheck``) and, only when they allow the booking, locks the day's open sessions of
    the specialties in id order (``FOR NO KEY UPDATE``: a foreign key check of another booking
    does not wait for it), chooses for each specialty the first session with a place (the
    preferred part of day first, then by name, as ``take_places`` does), takes those places,
    and writes the checkup, an appointment for each place taken, their history rows and the
    booking's message in the outbox. Answers one row per place taken: the facts, then
    (specialty code, session id); one row of facts and no place when none was taken.

    The locks are therefore taken in the booking's last statement before its commit: held for
    one round trip rather than four (decision 0016), and the facts cost no round trip of their
    own (decision 0019). A refused booking writes nothing; a specialty without a place gets no
    appointment, and the caller then refuses the booking, and its transaction, these rows
    included, is rolled back."""
    # Not named after a column of sessions: an UPDATE would take such a parameter as a value
    # to SET.
    at_facility = bindparam("at_facility", type_=Uuid())
    facts = facts_select(True, at_facility).cte("facts")
    allowed = _allowed(facts)
    taken = _taken(allowed, at_facility)
    checkup, appointments, history = _writes(allowed, taken)
    return (
        select(*facts.c, taken.c.specialty_code, taken.c.id)
        .select_from(facts.outerjoin(taken, true()))
        .add_cte(checkup.cte("new_checkup"))
        .add_cte(appointments.cte("new_appointments"))
        .add_cte(history.cte("new_history"))
        .add_cte(_message(allowed).cte("new_message"))
    )


_BOOK_AT_ONCE = _book_at_once()


async def book_at_once(
    session: AsyncSession,
    checkup: Mapping[str, Any],
    appointments: Sequence[Mapping[str, Any]],
    history: Mapping[str, Any],
    message: Mapping[str, Any],
    preferred: PartOfDay | None,
    *,
    allowed_here_and_now: bool,
    card_override: bool,
) -> tuple[BookingCheck, dict[str, uuid.UUID]]:
    """PostgreSQL: check, take the places and write the booking (``_book_at_once``):
    ``checkup`` and ``appointments`` by column name, every column given but the appointments'
    ``session_id`` (they differ only in ``PER_APPOINTMENT``); ``history``: the columns of the
    first history row, without ``appointment_id``; ``message``: the outbox's row
    (``outbox.message_row``). ``allowed_here_and_now``: the actor may book
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
        if key in PER_APPOINTMENT:
            params[f"appointment_{key}"] = [a[key] for a in appointments]
        else:
            params[f"appointment_{key}"] = value
    params.update((f"history_{key}", value) for key, value in history.items())
    params.update((f"message_{key}", message[key]) for key in MESSAGE_COLUMNS)
    rows = (await session.execute(_BOOK_AT_ONCE, params)).all()
    taken = {row[-2]: row[-1] for row in rows if row[-1] is not None}
    return facts_from_row(rows[0]), taken
