"""The rules a booking must meet, checked on the facts it read before taking any place.

The person must exist and be active, hold a health-insurance card valid on the day (unless the
booking gives a reason to go without) and not be booked already for these specialties that day;
a named campaign must exist, include the facility and run on the date. Each rule refuses with
the problem the caller sees. The facts come from ``booking_facts``: on PostgreSQL the booking's
one statement applies the same rules before it writes, and these say which one refused.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.errors import Conflict, Unprocessable
from veteran_care.kit.i18n import Message
from veteran_care.models import BeneficiaryStatus
from veteran_care.scheduling import repository
from veteran_care.scheduling.booking_facts import BookingCheck
from veteran_care.scheduling.checkup_schemas import CheckupCreate


async def check_rules(session: AsyncSession, data: CheckupCreate, facts: BookingCheck) -> None:
    """The person's rules, then the campaign's, from the facts the booking read (the same as
    ``book_at_once`` applies before it writes anything)."""
    if facts.status is None:
        raise Unprocessable(
            Message(
                "beneficiary_id: there is no beneficiary {beneficiary_id}.",
                beneficiary_id=data.beneficiary_id,
            ),
            code="unknown-beneficiary",
            field="beneficiary_id",
        )
    if facts.status != BeneficiaryStatus.active:
        raise Conflict(
            Message(
                "The beneficiary is {status}: no check can be booked.", status=facts.status.value
            ),
            code="beneficiary-not-active",
        )
    if data.campaign_id is not None:
        _ensure_campaign_fits(data, facts)
    if not data.card_override_reason and not facts.has_valid_card:
        raise Unprocessable(
            Message(
                "No health-insurance card of this person is valid on {date}; add one, or book "
                "with card_override_reason.",
                date=data.date,
            ),
            code="card-not-valid",
            field="card_override_reason",
        )
    if facts.already_booked:
        already = await repository.active_specialties_on(
            session, data.beneficiary_id, data.date, data.specialty_codes
        )
        raise Conflict(
            Message(
                "Already booked on {date} for {already}.",
                date=data.date,
                already=", ".join(already),
            ),
            code="already-booked",
            specialty_codes=already,
        )


def _ensure_campaign_fits(data: CheckupCreate, facts: BookingCheck) -> None:
    if facts.campaign_starts_on is None or facts.campaign_ends_on is None:
        raise Unprocessable(
            Message(
                "campaign_id: there is no campaign {campaign_id}.", campaign_id=data.campaign_id
            ),
            code="unknown-campaign",
            field="campaign_id",
        )
    if not facts.facility_in_campaign:
        raise Unprocessable(
            "facility_id: this facility does not take part in the campaign.",
            code="facility-not-in-campaign",
            field="facility_id",
        )
    if not facts.campaign_starts_on <= data.date <= facts.campaign_ends_on:
        raise Unprocessable(
            Message(
                "date: the campaign runs {campaign_starts_on} to {campaign_ends_on}.",
                campaign_starts_on=facts.campaign_starts_on,
                campaign_ends_on=facts.campaign_ends_on,
            ),
            code="date-outside-campaign",
            field="date",
        )
