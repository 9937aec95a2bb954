"""The rows a new booking writes, as plain values by column name, ready for a Core insert.

A booking writes its checkup, one appointment per specialty and a first history row for each
appointment without the ORM's unit of work (decision 0015): this module builds those values,
every column given, and places each appointment in the session taken for its specialty once
the places are known. It reads and writes nothing itself.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from veteran_care.auth.principal import Actor
from veteran_care.models import AppointmentStatus, Checkup, CheckupOutcome, CheckupStatus
from veteran_care.scheduling.checkup_schemas import CheckupCreate
from veteran_care.scheduling.lifecycle import history_values


def checkup_row(
    data: CheckupCreate,
    booked_by: uuid.UUID,
    rescheduled_from: Checkup | None,
    now: datetime,
) -> dict[str, Any]:
    """The new checkup, planned, with a new id."""
    return {
        "id": uuid.uuid4(),
        "beneficiary_id": data.beneficiary_id,
        "facility_id": data.facility_id,
        "campaign_id": data.campaign_id,
        "date": data.date,
        "status": CheckupStatus.planned,
        "outcome": CheckupOutcome.pending,
        "part_of_day": data.part_of_day,
        "card_override_reason": data.card_override_reason,
        "rescheduled_from_id": rescheduled_from.id if rescheduled_from else None,
        "booked_by": booked_by,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def appointment_rows(
    data: CheckupCreate,
    checkup_id: uuid.UUID,
    links: Mapping[str, uuid.UUID],
    now: datetime,
) -> list[dict[str, Any]]:
    """One booked appointment per specialty, in the request's order, without its session;
    ``links``: the cancelled appointment each follows, by specialty code (a reschedule)."""
    return [
        {
            "id": uuid.uuid4(),
            "checkup_id": checkup_id,
            "beneficiary_id": data.beneficiary_id,
            "facility_id": data.facility_id,
            "specialty_code": code,
            "date": data.date,
            "status": AppointmentStatus.booked,
            "cancelled_by": None,
            "cancel_reason": None,
            "rescheduled_from_id": links.get(code),
            "rescheduled_to_id": None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for code in data.specialty_codes
    ]


def first_change(checkup_id: uuid.UUID, actor: Actor, now: datetime) -> dict[str, Any]:
    """The columns of each appointment's first history row (booked), but ``appointment_id``."""
    change = history_values(checkup_id, actor, None, AppointmentStatus.booked, None, now)
    del change["appointment_id"]
    return change


def place(appointments: list[dict[str, Any]], taken: Mapping[str, uuid.UUID]) -> None:
    """Each appointment in the session taken for its specialty."""
    for appointment in appointments:
        appointment["session_id"] = taken[appointment["specialty_code"]]
