"""A scan at the desk: the person and today's checkups, or a refusal that says why (another
day, another facility, a cancelled checkup, nobody registered)."""

import uuid
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import cccd_qr
from veteran_care.checkin.schemas import CheckInScanResult, Person
from veteran_care.errors import Conflict, DomainError, NotFound, Unprocessable
from veteran_care.kit.clock import today
from veteran_care.kit.i18n import Message
from veteran_care.models import Beneficiary, Checkup, CheckupStatus, Facility
from veteran_care.printouts import slip_token
from veteran_care.queue import service as queue
from veteran_care.queue.schemas import TicketRead
from veteran_care.scheduling.checkup_schemas import CheckupRead

OPEN = (CheckupStatus.planned, CheckupStatus.arrived, CheckupStatus.finished)


async def _facility_name(session: AsyncSession, facility_id: uuid.UUID) -> str:
    return await session.scalar(select(Facility.name).where(Facility.id == facility_id)) or "?"


async def _other_facility(session: AsyncSession, checkup: Checkup) -> Conflict:
    name = await _facility_name(session, checkup.facility_id)
    return Conflict(
        Message(
            "This checkup is at {facility} on {day}, not at this facility.",
            facility=name,
            day=f"{checkup.date:%d/%m/%Y}",
        ),
        code="other-facility",
        checkup_date=checkup.date.isoformat(),
        facility_name=name,
    )


def _not_today(checkup: Checkup) -> Conflict:
    return Conflict(
        Message(
            "This checkup is on {day}, not today: check-in happens on the day.",
            day=f"{checkup.date:%d/%m/%Y}",
        ),
        code="not-today",
        checkup_date=checkup.date.isoformat(),
    )


async def _checkups(
    session: AsyncSession, *, checkup_id: uuid.UUID | None = None, person: uuid.UUID | None = None
) -> list[Checkup]:
    statement = select(Checkup).options(selectinload(Checkup.appointments))
    if checkup_id is not None:
        statement = statement.where(Checkup.id == checkup_id)
    if person is not None:
        statement = statement.where(
            Checkup.beneficiary_id == person, Checkup.date >= today(), Checkup.status.in_(OPEN)
        )
    return list((await session.scalars(statement.order_by(Checkup.date))).all())


async def _by_slip(
    session: AsyncSession, secret: str, text: str, facility_id: uuid.UUID
) -> list[Checkup]:
    try:
        checkup_id = slip_token.verify(secret, text)
    except slip_token.BadToken as exc:
        raise Unprocessable(
            Message(
                "text: {reason}: print the slip again, or scan the person's CCCD.",
                reason=str(exc),
            ),
            code="unreadable-slip-code",
            field="text",
        ) from None
    found = await _checkups(session, checkup_id=checkup_id)
    if not found:
        raise NotFound(Message("Checkup {checkup_id} was not found.", checkup_id=checkup_id))
    checkup = found[0]
    if checkup.status not in OPEN:
        raise Conflict(
            Message("This checkup is {status}: book again.", status=checkup.status.value),
            code="checkup-cancelled",
        )
    if checkup.facility_id != facility_id:
        raise await _other_facility(session, checkup)
    if checkup.date != today():
        raise _not_today(checkup)
    return found


async def _by_cccd(session: AsyncSession, text: str, facility_id: uuid.UUID) -> list[Checkup]:
    try:
        card = cccd_qr.parse(text, today())
    except cccd_qr.UnreadableScan as exc:
        raise Unprocessable(
            Message(
                "text: neither a slip's code nor a CCCD's QR code ({reason}).", reason=str(exc)
            ),
            code="unreadable-scan",
            field="text",
        ) from None
    numbers = [n for n in (card.national_id, card.legacy_cmnd) if n]
    person = await session.scalar(
        select(Beneficiary.id).where(Beneficiary.national_id.in_(numbers)).limit(1)
    )
    if person is None:
        raise NotFound(
            Message(
                "Nobody is registered with CCCD {national_id}: register the person "
                "(POST /beneficiaries/cccd-scans) and book a checkup.",
                national_id=card.national_id,
            ),
            code="not-registered",
        )
    coming = await _checkups(session, person=person)
    here_today = [c for c in coming if c.facility_id == facility_id and c.date == today()]
    if here_today:
        return here_today
    elsewhere = next((c for c in coming if c.date == today()), None)
    if elsewhere is not None:
        raise await _other_facility(session, elsewhere)
    later = next((c for c in coming if c.facility_id == facility_id), None)
    if later is not None:
        raise _not_today(later)
    raise Conflict(Message("This person has no checkup booked today."), code="no-checkup-today")


async def scan(
    session: AsyncSession, actor: Actor, secret: str, text: str, facility_id: uuid.UUID
) -> CheckInScanResult:
    if not actor.require().in_scope(facility_id):
        raise DomainError(
            Message("This desk's facility is outside your facilities."),
            status=403,
            code="outside-your-facilities",
        )
    via: Literal["slip", "cccd"] = "slip" if slip_token.looks_like_token(text) else "cccd"
    if via == "slip":
        checkups = await _by_slip(session, secret, text, facility_id)
    else:
        checkups = await _by_cccd(session, text, facility_id)
    person = await session.get(Beneficiary, checkups[0].beneficiary_id)
    assert person is not None
    appointments = [a for c in checkups for a in c.appointments]
    tickets = await queue.tickets_of(session, appointments)
    await audit.record(
        session,
        actor,
        "search",
        resource_type="checkup",
        beneficiary_id=person.id,
        detail=f"check-in scan ({via})",
    )
    return CheckInScanResult(
        via=via,
        person=Person.model_validate(person),
        checkups=[CheckupRead.model_validate(c) for c in checkups],
        tickets=[TicketRead.model_validate(t) for t in tickets],
    )
