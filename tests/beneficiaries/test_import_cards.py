"""A province's lists with each person's health-insurance card: imported by the API's card rules,
in the person's transaction, once."""

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.beneficiaries.test_import import csv_bytes, errors_by_line, person, run
from veteran_care.kit.clock import today
from veteran_care.models import AuditEvent, Beneficiary, InsuranceCard


def dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


FROM, TO = today() - timedelta(days=100), today() + timedelta(days=265)


def card(number: str, **cells: str) -> dict[str, str]:
    """The four card cells, under their Vietnamese headers."""
    return {
        "so_the_bhyt": number,
        "the_tu_ngay": dmy(FROM),
        "the_den_ngay": dmy(TO),
        "ma_kcb_bd": "11001",
    } | cells


async def current_card(
    client: httpx.AsyncClient, session: AsyncSession, bhxh: str
) -> dict[str, Any] | None:
    """The person's current card, as `GET /api/v1/beneficiaries/{id}` shows it."""
    found = await session.scalar(select(Beneficiary.id).where(Beneficiary.bhxh_number == bhxh))
    assert found is not None
    response = await client.get(f"/api/v1/beneficiaries/{found}")
    assert response.status_code == 200, response.text
    current: dict[str, Any] | None = response.json()["current_card"]
    return current


async def count_cards(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(InsuranceCard)) or 0


async def test_cards_come_in_with_their_people_once(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    legacy, renewed, plain = person("Lò Văn Tám"), person("Quàng Thị Mười"), person("Vì Văn Chưa")
    legacy |= card(f"CB211{legacy['ma_bhxh']}")
    renewed |= card(renewed["ma_bhxh"].lower(), ma_kcb_bd="11b02")  # cells in lower case
    content = csv_bytes([legacy, renewed, plain])
    first = await run(sessionmaker, content)
    assert (first.created, first.cards, first.rejected) == (3, 2, 0), first.errors

    current = await current_card(client, session, legacy["ma_bhxh"])
    assert current is not None
    assert (current["number_format"], current["object_code"], current["benefit_level"]) == (
        "legacy-15",
        "CB",
        2,
    )
    assert (current["valid_from"], current["valid_to"]) == (FROM.isoformat(), TO.isoformat())
    assert current["registration_facility_code"] == "11001"
    current = await current_card(client, session, renewed["ma_bhxh"])
    assert current is not None
    assert (current["number_format"], current["registration_facility_code"]) == ("bhxh-10", "11B02")
    assert await current_card(client, session, plain["ma_bhxh"]) is None
    audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert audit is not None
    assert "cards 2" in (audit.detail or "")

    again = await run(sessionmaker, content)
    assert (again.unchanged, again.cards, again.rejected) == (3, 0, 0), again.errors
    assert await count_cards(session) == 2

    # Next year's card of a known person, found by the CCCD alone: added, the person unchanged.
    later = {
        "ho_ten": renewed["ho_ten"],
        "ngay_sinh": renewed["ngay_sinh"],
        "gioi_tinh": renewed["gioi_tinh"],
        "cccd": renewed["cccd"],
    } | card(renewed["ma_bhxh"], the_tu_ngay=dmy(TO + timedelta(days=1)))
    later["the_den_ngay"] = dmy(TO + timedelta(days=366))
    renewal = await run(sessionmaker, csv_bytes([later]))
    assert (renewal.unchanged, renewal.cards, renewal.rejected) == (1, 1, 0), renewal.errors
    assert await count_cards(session) == 3


async def test_bad_cards_reject_their_row_naming_the_column(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    def english(number: str, **cells: str) -> dict[str, str]:
        return {
            "card_number": number,
            "card_valid_from": dmy(FROM),
            "card_valid_to": dmy(TO),
            "card_facility_code": "11001",
        } | cells

    someone_else = "7799999999"
    good = person("Lò Thị Đúng")
    rows = [
        person() | english(f"HT301{someone_else}"),  # another person's BHXH number
        (early := person()) | english(early["ma_bhxh"], card_valid_to=dmy(FROM - timedelta(1))),
        (three := person()) | english(three["ma_bhxh"], card_facility_code=""),
        (odd := person()) | english(odd["ma_bhxh"], card_facility_code="110011"),
        (dated := person()) | english(dated["ma_bhxh"], card_valid_from="31/02/2026"),
        person(ma_bhxh="") | english(someone_else),  # a new person with no BHXH number
        person() | english("AB123"),
        good | english(good["ma_bhxh"]),
    ]
    summary = await run(sessionmaker, csv_bytes(rows))
    assert (summary.created, summary.cards, summary.rejected) == (1, 1, 7)
    errors = errors_by_line(summary)
    assert errors[2] == [
        (
            "card_number",
            "the card's BHXH number (its last 10 digits) is not this person's BHXH number",
        )
    ]
    assert errors[3] == [("card_valid_to", "valid_to must be on or after valid_from")]
    assert errors[4] == [
        (
            "card_facility_code",
            "the card's registered facility for primary care (ma_kcb_bd) is missing",
        )
    ]
    assert [field for field, _ in errors[5]] == ["card_facility_code"]
    assert errors[6] == [("card_valid_from", "not a real date")]
    assert errors[7] == [
        (
            "card_number",
            "the beneficiary has no BHXH number yet; record it before adding a card",
        )
    ]
    assert [field for field, _ in errors[8]] == ["card_number"]
    assert await count_cards(session) == 1
    assert await session.scalar(select(func.count()).select_from(Beneficiary)) == 1

    # The same card number and first day with another last day: refused, nothing written.
    good |= english(good["ma_bhxh"], card_valid_to=dmy(TO + timedelta(days=1)), ma_xa="03160")
    changed = await run(sessionmaker, csv_bytes([good]))
    assert (changed.updated, changed.cards, changed.rejected) == (0, 0, 1)
    assert [field for field, _ in errors_by_line(changed)[2]] == ["card_valid_to"]
    assert "correct it through the API" in changed.errors[0].message
    commune = await session.scalar(
        select(Beneficiary.commune_code).where(Beneficiary.bhxh_number == good["ma_bhxh"])
    )
    assert commune == "03127"
