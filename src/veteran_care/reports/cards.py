"""Card coverage: who among the active people holds a health-insurance card valid today, whose
card ends within 30 or 60 days, whose has expired, who has none; by province (where each
lives), commune and category, and the people behind each figure.

Rules (also in the route's description): only cards of status ``active`` count (cancelled and
entered-in-error ones do not). Each person is in one of valid, expired or none, so that these add
up to ``active``: valid = a card valid today (from <= today <= to); expired = no card valid today
and one that ended before today; none = neither (never a card, or only one that starts later).
expiring_30 and expiring_60 are among the valid: the card valid today ends within 30 (60) days,
today + 30 (60) included; expiring_60 includes expiring_30. Grouped by category, a person of
several categories counts in each, a person of none under ``no-category``; the total counts each
person once."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Select, and_, case, exists, func, literal, select
from sqlalchemy.sql import ColumnElement

from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    CardStatus,
    Commune,
    InsuranceCard,
)
from veteran_care.reports.people import masked_phone
from veteran_care.reports.provinces import HOME_PROVINCE, People, by_home_province
from veteran_care.reports.queries import NO_CATEGORY

Bucket = Literal["valid", "expiring_30", "expiring_60", "expired", "none"]
BUCKETS: tuple[Bucket, ...] = ("valid", "expiring_30", "expiring_60", "expired", "none")
FIGURES = {
    "active": "active people on the registry (valid + expired + none)",
    "valid": "a card valid today (valid_from <= today <= valid_to)",
    "expiring_30": "among valid: the card ends within 30 days (today + 30 included)",
    "expiring_60": "among valid: the card ends within 60 days (expiring_30 included)",
    "expired": "no card valid today, and a card that ended before today",
    "none": "no card valid today and none that ended (never one, or one that starts later)",
}
PEOPLE_COLUMNS = (
    "beneficiary_id",
    "full_name",
    "birth_year",
    "sex",
    "phone",
    "commune",
    "commune_name",
    "card_valid_to",
    "card_ended_on",
)


def cards_of(on: date) -> Any:
    """Per person: the end of the card valid on ``on`` (the latest, if several), and the end of
    the latest card that ended before it."""
    card = InsuranceCard
    valid = and_(card.valid_from <= on, card.valid_to >= on)
    return (
        select(
            card.beneficiary_id.label("beneficiary_id"),
            func.max(case((valid, card.valid_to))).label("valid_to"),
            func.max(case((card.valid_to < on, card.valid_to))).label("ended_on"),
        )
        .where(card.status == CardStatus.active)
        .group_by(card.beneficiary_id)
        .subquery()
    )


def condition(bucket: str, cards: Any, on: date) -> ColumnElement[bool]:
    valid_to, ended_on = cards.c.valid_to, cards.c.ended_on
    conditions: dict[str, ColumnElement[bool]] = {
        "valid": valid_to.is_not(None),
        "expiring_30": and_(valid_to.is_not(None), valid_to <= on + timedelta(days=30)),
        "expiring_60": and_(valid_to.is_not(None), valid_to <= on + timedelta(days=60)),
        "expired": and_(valid_to.is_(None), ended_on.is_not(None)),
        "none": and_(valid_to.is_(None), ended_on.is_(None)),
    }
    return conditions[bucket]


def _people(stmt: Select[Any], people: People) -> Select[Any]:
    return stmt.where(Beneficiary.status == BeneficiaryStatus.active, people.clause())


def statement(on: date, group_by: Sequence[str], people: People) -> Select[Any]:
    """The figures by province (where each lives), commune and/or category (or over
    everyone)."""
    cards = cards_of(on)
    member = BeneficiaryCategoryMembership
    dims: list[Any] = [
        {
            "province": HOME_PROVINCE,
            "commune": Beneficiary.commune_code,
            "category": func.coalesce(member.category_code, literal(NO_CATEGORY)),
        }[name].label(name)
        for name in group_by
    ]

    def holding(bucket: str) -> Any:
        return func.count(func.distinct(case((condition(bucket, cards, on), Beneficiary.id))))

    stmt: Select[Any] = (
        select(
            *dims,
            func.count(func.distinct(Beneficiary.id)).label("active"),
            *(holding(bucket).label(bucket) for bucket in BUCKETS),
        )
        .select_from(Beneficiary)
        .outerjoin(cards, cards.c.beneficiary_id == Beneficiary.id)
    )
    if "category" in group_by:
        stmt = stmt.outerjoin(member, member.beneficiary_id == Beneficiary.id)
    if "province" in group_by:
        stmt = by_home_province(stmt)
    stmt = _people(stmt, people)
    if dims:
        stmt = stmt.group_by(*dims).order_by(*dims)
    return stmt


def people_statement(
    on: date,
    bucket: str,
    commune: str | None,
    category: str | None,
    people: People,
    *,
    mask_phones: bool,
) -> Select[Any]:
    """The people behind a figure: those of ``bucket``, of a commune and/or category if given
    (``no-category``: the people of none). Columns: ``id`` and ``name_search`` (the page key),
    then PEOPLE_COLUMNS."""
    cards = cards_of(on)
    phone = masked_phone(Beneficiary.phone) if mask_phones else Beneficiary.phone
    stmt: Select[Any] = (
        select(
            Beneficiary.id.label("id"),
            Beneficiary.name_search.label("name_search"),
            Beneficiary.id.label("beneficiary_id"),
            Beneficiary.full_name.label("full_name"),
            Beneficiary.birth_year.label("birth_year"),
            Beneficiary.sex.label("sex"),
            phone.label("phone"),
            Beneficiary.commune_code.label("commune"),
            Commune.name.label("commune_name"),
            cards.c.valid_to.label("card_valid_to"),
            cards.c.ended_on.label("card_ended_on"),
        )
        .select_from(Beneficiary)
        .outerjoin(cards, cards.c.beneficiary_id == Beneficiary.id)
        .outerjoin(Commune, Commune.code == Beneficiary.commune_code)
        .where(condition(bucket, cards, on))
    )
    if commune is not None:
        stmt = stmt.where(Beneficiary.commune_code == commune)
    if category is not None:
        member = BeneficiaryCategoryMembership
        of = exists().where(member.beneficiary_id == Beneficiary.id)
        stmt = stmt.where(
            ~of if category == NO_CATEGORY else of.where(member.category_code == category)
        )
    return _people(stmt, people)
