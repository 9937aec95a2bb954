"""Who paid for a lot, and a campaign's medicines from its sponsor's lots only (a drive that
the Red Cross or a military unit pays for hands out what it brought)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.errors import Conflict
from veteran_care.kit.i18n import Message
from veteran_care.models import FundingSource, StockLot
from veteran_care.pharmacy.schemas import ReceiptIn
from veteran_care.scheduling import repository as scheduling


def record_source(lot: StockLot, data: ReceiptIn) -> None:
    """A new lot takes the receipt's source; a lot topped up keeps its own (a receipt that
    names another is refused: one lot, one payer), or takes one if it had none yet."""
    if data.funding_source is None:
        return
    if lot.funding_source is None:
        lot.funding_source, lot.sponsor = data.funding_source, data.sponsor
    elif (lot.funding_source, lot.sponsor) != (data.funding_source, data.sponsor):
        raise Conflict(
            Message(
                "Lot {lot_number} was received as paid by {payer}; a lot has one payer.",
                lot_number=lot.lot_number,
                payer=lot.sponsor or lot.funding_source.value,
            ),
            code="lot-funding-mismatch",
        )


async def campaign_sponsor(session: AsyncSession, checkup_id: uuid.UUID | None) -> str | None:
    """The sponsor whose lots a checkup's medicines must come from (its campaign's), if any."""
    if checkup_id is None:
        return None
    checkup = await scheduling.get_checkup(session, checkup_id)
    if checkup is None or checkup.campaign_id is None:
        return None
    campaign = await scheduling.get_campaign(session, checkup.campaign_id)
    return campaign.sponsor if campaign is not None else None


def paid_by(lot: StockLot, sponsor: str) -> bool:
    return lot.funding_source == FundingSource.sponsor and lot.sponsor == sponsor


def ensure_sponsored(lot: StockLot, sponsor: str | None) -> None:
    if sponsor is not None and not paid_by(lot, sponsor):
        raise Conflict(
            Message(
                "Lot {lot_number} is not one of {sponsor}'s, who pays for this drive's "
                "medicines: dispense from their lots.",
                lot_number=lot.lot_number,
                sponsor=sponsor,
            ),
            code="lot-not-sponsored",
        )
