"""A desk scans the QR code of a person's chip CCCD: the person as registered, or a registration
filled in from the card for the desk to complete (``POST /beneficiaries/cccd-scans``)."""

import uuid
from datetime import date

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import cccd_qr, repository, service
from veteran_care.beneficiaries.cccd_qr import ScannedCard
from veteran_care.errors import NotFound, Unprocessable
from veteran_care.kit import clock
from veteran_care.kit.i18n import Message
from veteran_care.kit.schemas import InputSchema, OutputSchema, examples
from veteran_care.kit.text import fold
from veteran_care.models import Beneficiary, Sex
from veteran_care.reference import repository as reference

SAMPLE = (
    "011050001234|012345678|Nguyễn Văn An|15031950|Nam|"
    "Bản Na Sang, Xã Mường Phăng, Tỉnh Điện Biên|20042021"
)


class CccdScan(InputSchema):
    """The text a QR scanner typed out from the card."""

    model_config = examples({"text": SAMPLE})

    text: str = Field(min_length=1, max_length=1000)
    """Seven parts separated by `|`: CCCD number, old CMND (may be empty), full name, birth
    date, sex (Nam/Nữ), permanent address, issue date; dates ddmmyyyy or dd/mm/yyyy."""


class Registration(OutputSchema):
    """A registration filled in from the card (`POST /beneficiaries` once completed: the
    categories, a phone number, the facility)."""

    full_name: str
    """The full name from the card."""
    birth_date: date
    """The birth date from the card."""
    sex: Sex
    """The sex from the card."""
    national_id: str
    """The CCCD number."""
    address_line: str
    """The card's permanent address (check it is where the person lives now)."""
    commune_code: str | None = Field(
        description="The commune the address names, when exactly one of ours does."
    )


class ScanResult(OutputSchema):
    """The person found by the card's CCCD (or its old CMND), or a registration to complete."""

    card: ScannedCard
    """What the card says."""
    beneficiary_id: uuid.UUID | None = Field(
        description="The registered person's id (`GET /beneficiaries/{id}`); null when the card "
        "matches nobody the caller may see."
    )
    registration: Registration | None = Field(
        description="Filled in from the card when nobody matches; null otherwise."
    )


async def _registered(session: AsyncSession, actor: Actor, card: ScannedCard) -> uuid.UUID | None:
    for number in (card.national_id, card.legacy_cmnd):
        found = number and await repository.id_by(session, Beneficiary.national_id, number)
        if found:
            try:
                person = await service.read(session, found, actor)
            except NotFound:  # outside the caller's facilities: as if unknown
                return None
            return person.id
    return None


async def identify(session: AsyncSession, actor: Actor, text: str) -> ScanResult:
    try:
        card = cccd_qr.parse(text, clock.today())
    except cccd_qr.UnreadableScan as exc:
        raise Unprocessable(
            Message("text: {exc}.", exc=exc), code="unreadable-cccd-qr", field="text"
        ) from None
    found = await _registered(session, actor, card)
    await audit.record(session, actor, "search", resource_type="beneficiary", detail="CCCD QR scan")
    if found is not None:
        return ScanResult(card=card, beneficiary_id=found, registration=None)
    communes = {
        fold(c.name): c.code  # with its kind: "Xã Mường Phăng"
        for c in await reference.communes(session, None)
    }
    registration = Registration(
        full_name=card.full_name,
        birth_date=card.birth_date,
        sex=card.sex,
        national_id=card.national_id,
        address_line=card.address[:300],
        commune_code=cccd_qr.commune_in(card.address, communes),
    )
    return ScanResult(card=card, beneficiary_id=None, registration=registration)
