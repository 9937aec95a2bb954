"""Reminders that fall due go into the outbox: the early one (7 days before by default) and
the late one (2 days), for each planned checkup, once.

A checkup gets a reminder when the day to send it has come and the checkup is still ahead: the
early one while it is between ``late`` (exclusive) and ``early`` days away, the late one while it
is at most ``late`` days away. A checkup booked after the day of a reminder does not get that
one (its confirmation said it all). Once per kind and checkup: a unique index says so, and a
second writer's insert does nothing (two workers may run this at once).
"""

import uuid
from datetime import date, timedelta

from sqlalchemy import exists, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.config import Settings
from veteran_care.kit.clock import start_of_day, utcnow
from veteran_care.models import Checkup, CheckupStatus, Message, MessageKind

REMINDER_WHERE = "origin_id IS NULL AND kind IN ('reminder_early', 'reminder_late')"


def windows(settings: Settings) -> list[tuple[MessageKind, int, int]]:
    """(kind, fewest days away, most days away) of each reminder."""
    late = min(settings.reminder_late_days, settings.reminder_early_days)
    early = max(settings.reminder_late_days, settings.reminder_early_days)
    found = [(MessageKind.reminder_late, 1, late)]
    if early > late:
        found.append((MessageKind.reminder_early, late + 1, early))
    return found


async def enqueue_due(session: AsyncSession, settings: Settings, today: date) -> int:
    """Write the reminders due on ``today``; answer how many were written."""
    written = 0
    for kind, nearest, farthest in windows(settings):
        candidates = await session.execute(
            select(Checkup.id, Checkup.beneficiary_id, Checkup.date, Checkup.created_at).where(
                Checkup.status == CheckupStatus.planned,
                Checkup.date >= today + timedelta(days=nearest),
                Checkup.date <= today + timedelta(days=farthest),
                ~exists().where(Message.checkup_id == Checkup.id, Message.kind == kind),
            )
        )
        rows = [
            (checkup_id, beneficiary_id)
            for checkup_id, beneficiary_id, day, created_at in candidates
            if created_at < start_of_day(day - timedelta(days=farthest))
        ]
        written += await _insert(session, kind, rows)
    return written


async def _insert(
    session: AsyncSession, kind: MessageKind, rows: list[tuple[uuid.UUID, uuid.UUID]]
) -> int:
    if not rows:
        return 0
    now = utcnow()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Message).on_conflict_do_nothing(
        index_elements=["checkup_id", "kind"], index_where=text(REMINDER_WHERE)
    )
    await session.execute(
        statement,
        [
            {
                "kind": kind,
                "checkup_id": checkup_id,
                "beneficiary_id": beneficiary_id,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for checkup_id, beneficiary_id in rows
        ],
    )
    return len(rows)
