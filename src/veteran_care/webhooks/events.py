"""Writing events for other systems, in the caller's transaction: a change committed has its
deliveries, a change rolled back has none (decisions 0037, 0047).

Each site of a change calls ``emit`` once with what changed; a delivery is written for each
active subscription that wants the event, its body decided now (ids only, or with the person's
details where the subscription is allowed them) so that every try sends the same bytes.
"""

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.kit.clock import utcnow
from veteran_care.models import (
    Appointment,
    AppointmentStatus,
    Beneficiary,
    Dispense,
    ExaminationResult,
    PartOfDay,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)


@dataclass(frozen=True)
class Event:
    """What happened to a person's record: the ids of what it is about (sent to every
    subscription), and its details (dates, statuses, names: only where personal data is
    allowed)."""

    type: WebhookEvent
    beneficiary_id: uuid.UUID
    ids: Mapping[str, uuid.UUID | None] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)


class CheckupLike(Protocol):
    """A checkup as a row or as its API shape."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def beneficiary_id(self) -> uuid.UUID: ...
    @property
    def facility_id(self) -> uuid.UUID: ...
    @property
    def date(self) -> date: ...
    @property
    def part_of_day(self) -> PartOfDay | None: ...
    @property
    def rescheduled_from_id(self) -> uuid.UUID | None: ...


def _checkup(type: WebhookEvent, checkup: CheckupLike) -> Event:
    return Event(
        type,
        checkup.beneficiary_id,
        {"checkup_id": checkup.id, "facility_id": checkup.facility_id},
        {
            "date": checkup.date,
            "part_of_day": checkup.part_of_day,
            "rescheduled_from_id": checkup.rescheduled_from_id,
        },
    )


def checkup_booked(checkup: CheckupLike) -> Event:
    return _checkup(WebhookEvent.checkup_booked, checkup)


def checkups_cancelled(checkups: Iterable[CheckupLike]) -> list[Event]:
    return [_checkup(WebhookEvent.checkup_cancelled, c) for c in checkups]


def appointment_status_changed(appointment: Appointment, before: AppointmentStatus) -> Event:
    return Event(
        WebhookEvent.appointment_status_changed,
        appointment.beneficiary_id,
        {
            "appointment_id": appointment.id,
            "checkup_id": appointment.checkup_id,
            "facility_id": appointment.facility_id,
        },
        {
            "date": appointment.date,
            "specialty_code": appointment.specialty_code,
            "from_status": before,
            "to_status": appointment.status,
        },
    )


def result_recorded(result: ExaminationResult) -> Event:
    return Event(
        WebhookEvent.result_recorded,
        result.beneficiary_id,
        {
            "result_id": result.id,
            "appointment_id": result.appointment_id,
            "checkup_id": result.checkup_id,
            "facility_id": result.facility_id,
        },
        {"specialty_code": result.specialty_code, "status": result.status},
    )


def dispense_recorded(dispense: Dispense) -> Event:
    return Event(
        WebhookEvent.dispense_recorded,
        dispense.beneficiary_id,
        {
            "dispense_id": dispense.id,
            "checkup_id": dispense.checkup_id,
            "facility_id": dispense.facility_id,
            "medicine_id": dispense.medicine_id,
        },
        {
            "quantity": dispense.quantity,
            "days_of_supply": dispense.days_of_supply,
            "dispensed_at": dispense.dispensed_at,
        },
    )


def beneficiary_updated(beneficiary: Beneficiary, fields: Iterable[str]) -> Event:
    return Event(
        WebhookEvent.beneficiary_updated,
        beneficiary.id,
        {},
        {"changed_fields": sorted(fields), "status": beneficiary.status},
    )


def body(event: Event, at: datetime, person: Mapping[str, Any] | None) -> str:
    """The JSON sent (Standard Webhooks' ``type``, ``timestamp``, ``data``); ``person`` None:
    ids only."""
    data: dict[str, Any] = {"beneficiary_id": event.beneficiary_id, **event.ids}
    if person is not None:
        data = {**data, **event.details, "person": person}
    return json.dumps(
        {"type": event.type.value, "timestamp": at.isoformat(), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
        default=_plain,
    )


def _plain(value: object) -> str:
    """Dates and times in ISO 8601, ids and enums as their text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


async def _people(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(
            Beneficiary.id,
            Beneficiary.full_name,
            Beneficiary.birth_year,
            Beneficiary.sex,
            Beneficiary.commune_code,
        ).where(Beneficiary.id.in_(ids))
    )
    return {
        r.id: {
            "full_name": r.full_name,
            "birth_year": r.birth_year,
            "sex": r.sex.value,
            "commune_code": r.commune_code,
        }
        for r in rows
    }


_SUBSCRIPTIONS = WebhookSubscription.__table__.c
# Core, built once: every booking asks it (an ORM select of columns compiles through the ORM).
_ACTIVE_SUBSCRIPTIONS = select(
    _SUBSCRIPTIONS.id, _SUBSCRIPTIONS.events, _SUBSCRIPTIONS.personal_data
).where(_SUBSCRIPTIONS.active.is_(True))


async def active_subscriptions(session: AsyncSession) -> Sequence[Any]:
    """The active subscriptions, for ``emit`` (a booking reads them before it takes its places:
    no statement after that one but the commit while the places are locked)."""
    return (await session.execute(_ACTIVE_SUBSCRIPTIONS)).all()


async def emit(
    session: AsyncSession,
    *events: Event | Iterable[Event],
    subscriptions: Sequence[Any] | None = None,
) -> None:
    """A delivery of each event for each active subscription that wants it (``subscriptions``:
    as ``active_subscriptions`` read them in this transaction)."""
    flat = [e for item in events for e in ([item] if isinstance(item, Event) else item)]
    if not flat:
        return
    if subscriptions is None:
        subscriptions = await active_subscriptions(session)
    wanted = [(s, e) for e in flat for s in subscriptions if e.type.value in s.events]
    if not wanted:
        return
    named = {e.beneficiary_id for s, e in wanted if s.personal_data}
    if named:
        await session.flush()  # the person as changed (the sessions do not autoflush)
    people = await _people(session, named)
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "subscription_id": s.id,
            "event": e.type,
            "ordering_key": e.beneficiary_id,
            "body": body(e, now, people.get(e.beneficiary_id, {}) if s.personal_data else None),
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for s, e in wanted
    ]
    await session.execute(insert(WebhookDelivery), rows)
