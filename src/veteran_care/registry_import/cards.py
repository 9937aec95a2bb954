"""The health-insurance card of an import row (`so_the_bhyt`, `the_tu_ngay`, `the_den_ngay`,
`ma_kcb_bd`), recorded as `POST /api/v1/beneficiaries/{id}/cards` records it: the cells are
validated by the API's `CardCreate` (number format, validity in order, a 5-character
registration facility code) and the number must carry the person's BHXH number
(`identifiers.card_holder_problem`). A card of the person already stored with the same number
and validity is kept as it is: importing a file twice records it once; the same number and
first day with other cells is refused (cards are corrected through the API)."""

import functools
import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.beneficiaries.identifiers import card_holder_problem, parse_card_number
from veteran_care.beneficiaries.schemas import CardCreate
from veteran_care.kit.i18n import N_, Message
from veteran_care.models import CardStatus, InsuranceCard
from veteran_care.registry_import.bulk import one_of
from veteran_care.registry_import.row_errors import schema_message

NUMBER, FROM, TO, FACILITY = "card_number", "card_valid_from", "card_valid_to", "card_facility_code"
COLUMNS: dict[str, tuple[str, ...]] = {
    NUMBER: ("so_the_bhyt", "ma_the_bhyt", "so_the", "ma_the"),
    FROM: ("the_tu_ngay", "gt_the_tu", "tu_ngay"),
    TO: ("the_den_ngay", "gt_the_den", "den_ngay"),
    FACILITY: ("ma_kcb_bd", "ma_kcbbd", "ma_dkbd", "noi_dkkcb_bd"),
}
_FIELD_COLUMN = {
    "number": NUMBER,
    "valid_from": FROM,
    "valid_to": TO,
    "registration_facility_code": FACILITY,
}
_MISSING = {
    NUMBER: N_("the card's number is missing"),
    FROM: N_("the first day the card is valid is missing"),
    TO: N_("the last day the card is valid is missing"),
    FACILITY: N_("the card's registered facility for primary care (ma_kcb_bd) is missing"),
}

Problem = tuple[str, str]  # (column, message)
# A row's card number is parsed for its checks, then for its row: once.
_parsed = functools.lru_cache(maxsize=256)(parse_card_number)
# (person, number, valid_from) -> (valid_to, registration facility code) of their stored cards
Stored = dict[tuple[uuid.UUID, str, date], tuple[date, str]]


def card(given: dict[str, Any]) -> CardCreate | list[Problem] | None:
    """The row's card (None when its cells are empty), or what is wrong with it."""
    if not given:
        return None
    missing = [(column, message) for column, message in _MISSING.items() if column not in given]
    if missing:
        return missing
    values = {field: given[column] for field, column in _FIELD_COLUMN.items()}
    try:
        return CardCreate.model_validate(values)
    except ValidationError as exc:
        return [
            (
                _FIELD_COLUMN.get(str(e["loc"][0]), NUMBER) if e["loc"] else NUMBER,
                schema_message(e),
            )
            for e in exc.errors()
        ]


async def stored(session: AsyncSession, people: list[uuid.UUID], postgresql: bool) -> Stored:
    """The cards the people hold already, whatever their status."""
    if not people:
        return {}
    stmt = select(
        InsuranceCard.beneficiary_id,
        InsuranceCard.number,
        InsuranceCard.valid_from,
        InsuranceCard.valid_to,
        InsuranceCard.registration_facility_code,
    ).where(one_of(InsuranceCard.beneficiary_id, people, postgresql))
    return {
        (person, number, start): (end, facility)
        for person, number, start, end, facility in (await session.execute(stmt)).all()
    }


def problem(
    data: CardCreate, bhxh_number: str | None, person: uuid.UUID | None, cards: Stored
) -> Problem | None:
    """Why the card cannot be the person's (by their BHXH number and stored cards), or None."""
    holder = card_holder_problem(_parsed(data.number), bhxh_number)
    if holder is not None:
        return NUMBER, holder[1]
    known = cards.get((person, data.number, data.valid_from)) if person else None
    if known is not None and known != (data.valid_to, data.registration_facility_code):
        return TO, Message(
            "the person's card {number} valid from {valid_from} is recorded valid to "
            "{valid_to} at {facility}: correct it through the API",
            number=data.number,
            valid_from=f"{data.valid_from:%d/%m/%Y}",
            valid_to=f"{known[0]:%d/%m/%Y}",
            facility=known[1],
        )
    return None


def values(
    person: uuid.UUID, data: CardCreate, cards: Stored, now: datetime
) -> dict[str, Any] | None:
    """The insurance_cards row of an import row's card; None when the person holds it already."""
    if (person, data.number, data.valid_from) in cards:
        return None
    parsed = _parsed(data.number)
    return {
        "id": uuid.uuid4(),
        "beneficiary_id": person,
        "number": parsed.number,
        "number_format": parsed.number_format,
        "object_code": parsed.object_code,
        "benefit_level": parsed.benefit_level,
        "province_code": parsed.province_code,
        "bhxh_number": parsed.bhxh_number,
        "valid_from": data.valid_from,
        "valid_to": data.valid_to,
        "registration_facility_code": data.registration_facility_code,
        "status": CardStatus.active,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
