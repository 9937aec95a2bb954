"""What a booking must know before it takes a place, read by one statement built once.

Whether the facility exists; the person's status, whether a card of theirs is valid on the day
and whether any of the booking's specialties is already booked that day; the campaign's dates
and whether the facility takes part in it. The columns are built here once, with bind
parameters, for each backend: SQLite reads them on their own (``booking_check``), PostgreSQL as
the first CTE of the one-statement booking (``booking_at_once``). The rules applied to these
facts are in ``booking_rules``.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import ACTIVE, BeneficiaryStatus, CardStatus
from veteran_care.scheduling.booking_tables import (
    APPOINTMENTS,
    BENEFICIARIES,
    BENEFICIARY_ID,
    CAMPAIGN_FACILITIES,
    CAMPAIGN_ID,
    CAMPAIGNS,
    CARDS,
    DAY,
    FACILITIES,
    FACILITY_ID,
    by_backend,
    on_postgresql,
    one_of,
)


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


def facts_select(postgresql: bool, facility_id: Any = FACILITY_ID) -> Any:
    """The columns of a ``BookingCheck``, in its order."""
    campaign = select(CAMPAIGNS.c.starts_on, CAMPAIGNS.c.ends_on).where(
        CAMPAIGNS.c.id == CAMPAIGN_ID
    )
    return select(
        exists().where(FACILITIES.c.id == facility_id).label("facility_exists"),
        select(BENEFICIARIES.c.status)
        .where(BENEFICIARIES.c.id == BENEFICIARY_ID)
        .scalar_subquery()
        .label("status"),
        exists()
        .where(
            CARDS.c.beneficiary_id == BENEFICIARY_ID,
            CARDS.c.status == CardStatus.active,
            CARDS.c.valid_from <= DAY,
            CARDS.c.valid_to >= DAY,
        )
        .label("has_valid_card"),
        exists()
        .where(
            APPOINTMENTS.c.beneficiary_id == BENEFICIARY_ID,
            APPOINTMENTS.c.date == DAY,
            one_of(APPOINTMENTS.c.specialty_code, "codes", String(), postgresql=postgresql),
            one_of(
                APPOINTMENTS.c.status,
                "active",
                String(),
                postgresql=postgresql,
                value=[s.value for s in ACTIVE],
            ),
        )
        .label("already_booked"),
        campaign.with_only_columns(CAMPAIGNS.c.starts_on)
        .scalar_subquery()
        .label("campaign_starts_on"),
        campaign.with_only_columns(CAMPAIGNS.c.ends_on).scalar_subquery().label("campaign_ends_on"),
        exists()
        .where(
            CAMPAIGN_FACILITIES.c.campaign_id == CAMPAIGN_ID,
            CAMPAIGN_FACILITIES.c.facility_id == facility_id,
        )
        .label("facility_in_campaign"),
    )


_CHECK = by_backend(facts_select)


def facts_from_row(row: Sequence[Any]) -> BookingCheck:
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
    return facts_from_row(row)
