"""The waitlist's work: joining a full specialty's line, reading it, taking the place held for
one (a booking by the usual rules) or leaving the line (decision 0050).

Joining and reading first move lapsed holds on (``waitlist_offers.expire_holds``), so that what
they answer is current even when no server runs the background sweep; an accept or a
withdrawal does not (see ``_find``): an offer whose time has run out is refused all the same.
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import repository as beneficiaries
from veteran_care.errors import Conflict, NotFound
from veteran_care.facilities import service as facilities
from veteran_care.kit.clock import today, utcnow
from veteran_care.kit.i18n import Message
from veteran_care.kit.validation import check_date_range
from veteran_care.models import BeneficiaryStatus, WaitlistEntry, WaitlistStatus
from veteran_care.scheduling import booking, repository, waitlist_offers
from veteran_care.scheduling import waitlist_repository as entries
from veteran_care.scheduling.checkup_schemas import CheckupCreate, CheckupRead
from veteran_care.scheduling.sessions import ensure_not_past, ensure_specialties
from veteran_care.scheduling.waitlist_schemas import MOST_DAYS, WaitlistEntryRead, WaitlistJoin


async def read_model(session: AsyncSession, entry: WaitlistEntry) -> WaitlistEntryRead:
    found = WaitlistEntryRead.model_validate(entry)
    found.position = await entries.position(session, entry)
    return found


async def join(session: AsyncSession, actor: Actor, data: WaitlistJoin) -> WaitlistEntry:
    """Put the person in the specialty's line, when it has no place on the days asked."""
    await waitlist_offers.expire_holds(session)
    await facilities.get(session, data.facility_id, actor)
    await ensure_specialties(session, [data.specialty_code], "specialty_code")
    date_to = data.date_to or data.date_from
    ensure_not_past(data.date_from, today(), "date_from")
    check_date_range(data.date_from, date_to, max_days=MOST_DAYS, location="body")
    await _ensure_may_wait(session, data, date_to)
    entry = WaitlistEntry(
        beneficiary_id=data.beneficiary_id,
        facility_id=data.facility_id,
        specialty_code=data.specialty_code,
        date_from=data.date_from,
        date_to=date_to,
        created_by=actor.require().account_id,
    )
    session.add(entry)
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="waitlist_entry",
        resource_id=entry.id,
        beneficiary_id=entry.beneficiary_id,
    )
    return entry


async def _ensure_may_wait(session: AsyncSession, data: WaitlistJoin, date_to: date) -> None:
    """The person exists and is active, is not in this line already, and the specialty has
    no place on those days (else: book one)."""
    person = await beneficiaries.get(session, data.beneficiary_id)
    if person is None:
        raise NotFound(
            Message(
                "Beneficiary {beneficiary_id} was not found.", beneficiary_id=data.beneficiary_id
            )
        )
    if person.status != BeneficiaryStatus.active:
        raise Conflict(
            Message(
                "The beneficiary is {status}: no check can be booked.", status=person.status.value
            ),
            code="beneficiary-not-active",
        )
    if await entries.in_line(session, person.id, data.facility_id, data.specialty_code):
        raise Conflict("The person is in this waitlist already.", code="already-waiting")
    free = await repository.open_sessions(
        session, data.facility_id, [data.specialty_code], data.date_from, date_to, with_places=True
    )
    if free:
        days = sorted({s.date for s in free})
        raise Conflict(
            Message(
                "{code} has places on {days}: book one instead of waiting.",
                code=data.specialty_code,
                days=", ".join(f"{d:%d/%m/%Y}" for d in days[:5]),
            ),
            code="places-available",
            available_dates=[d.isoformat() for d in days],
        )


async def get(session: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> WaitlistEntry:
    await waitlist_offers.expire_holds(session)
    return await _find(session, actor, entry_id)


async def _find(session: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> WaitlistEntry:
    """The entry, without moving lapsed holds on: an accept or a withdrawal locks its own entry
    before anything else (then the day's sessions), so that it never waits for an entry while
    holding a session that a sweep waits for."""
    entry = await entries.get(session, entry_id)
    if entry is None or not actor.require().in_scope(entry.facility_id):
        raise NotFound(Message("Waitlist entry {entry_id} was not found.", entry_id=entry_id))
    return entry


async def search(
    session: AsyncSession,
    actor: Actor,
    filters: dict[str, Any],
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[WaitlistEntry], str | None]:
    await waitlist_offers.expire_holds(session)
    rows, next_cursor = await entries.list_entries(
        session,
        scope=actor.require().scope,
        filters=filters,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    await audit.record(
        session,
        actor,
        "search",
        resource_type="waitlist_entry",
        beneficiary_id=filters.get("beneficiary_id"),
        detail=f"{len(rows)} rows",
    )
    return rows, next_cursor


async def read(session: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> WaitlistEntryRead:
    entry = await get(session, actor, entry_id)
    await audit.record(
        session,
        actor,
        "read",
        resource_type="waitlist_entry",
        resource_id=entry.id,
        beneficiary_id=entry.beneficiary_id,
    )
    return await read_model(session, entry)


async def accept(session: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> CheckupRead:
    """Book the place held for the person: one transaction that ends the hold, gives its seat
    back and takes it again by the booking's own statement and rules (a refused booking rolls
    everything back: the place stays held)."""
    entry = await _find(session, actor, entry_id)
    now = utcnow()
    held = await entries.take_offer(session, entry.id, WaitlistStatus.booked, now)
    if held is None:
        status = entry.status
        if status == WaitlistStatus.offered:  # its hold ran out: the next sweep passes it on
            status = WaitlistStatus.lapsed
        raise Conflict(
            Message(
                "No place is held for this waitlist entry (it is {status}).", status=status.value
            ),
            code="no-place-held",
        )
    place = await repository.get_session(session, held)
    assert place is not None
    await entries.lock_day(session, entry.facility_id, entry.specialty_code, place.date)
    await repository.release_seats(session, held)  # the seat stays locked, for this booking
    checkup = await booking.book(
        session,
        actor,
        CheckupCreate(
            beneficiary_id=entry.beneficiary_id,
            facility_id=entry.facility_id,
            date=place.date,
            specialty_codes=[entry.specialty_code],
            part_of_day=place.part_of_day,
        ),
    )
    await entries.set_checkup(session, entry.id, checkup.id, now)
    return checkup


async def withdraw(session: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> WaitlistEntry:
    """The person leaves the line; a place held for them goes to the next."""
    entry = await _find(session, actor, entry_id)
    now = utcnow()
    held = await entries.take_offer(session, entry.id, WaitlistStatus.withdrawn, now)
    if held is not None:
        await waitlist_offers.pass_on(session, [held])
    elif not await entries.leave_line(session, entry.id, now):
        raise Conflict(
            Message(
                "The waitlist entry is {status}: it is no longer in line.",
                status=entry.status.value,
            ),
            code="not-in-line",
        )
    await audit.record(
        session,
        actor,
        "status_change",
        resource_type="waitlist_entry",
        resource_id=entry.id,
        beneficiary_id=entry.beneficiary_id,
        changed_fields=["status"],
    )
    return await _find(session, actor, entry_id)
