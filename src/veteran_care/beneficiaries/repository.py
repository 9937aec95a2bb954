"""Every registry query lives here."""

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, literal, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement

from veteran_care.db.session import plan_each_execution
from veteran_care.kit.pagination import (
    SortKey,
    datetime_key,
    decode_cursor,
    fetch_page,
    paginate,
    text_key,
)
from veteran_care.kit.text import fold, like_escape
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryName,
    BeneficiaryStatus,
    CardStatus,
    Checkup,
    Commune,
    InsuranceCard,
)

BENEFICIARY_SORTS: dict[str, SortKey] = {
    "full_name": text_key(Beneficiary.name_search),
    "-full_name": text_key(Beneficiary.name_search, descending=True),
    "created_at": datetime_key(Beneficiary.created_at),
    "-created_at": datetime_key(Beneficiary.created_at, descending=True),
}
CARD_SORTS: dict[str, SortKey] = {"-created_at": datetime_key(InsuranceCard.created_at, True)}

_NATIONAL_ID = re.compile(r"^([0-9]{9}|[0-9]{12})$")
_BHXH = re.compile(r"^[0-9]{10}$")
_LEGACY_CARD = re.compile(r"^[A-Za-z]{2}[0-9]{13}$")
# From this many words on, a name query is a full name: its names are looked up among the
# distinct names first (decision 0066); on SQLite every name query is.
FULL_NAME_WORDS = 3


@dataclass(frozen=True)
class BeneficiaryFilters:
    q: str | None = None
    commune_code: str | None = None
    category: str | None = None
    ethnicity_code: str | None = None
    status: BeneficiaryStatus | None = None
    registered_facility_id: uuid.UUID | None = None
    birth_year_from: int | None = None
    birth_year_to: int | None = None
    birth_date: date | None = None
    # None: province-wide; otherwise only people registered at these facilities.
    facility_scope: frozenset[uuid.UUID] | None = None
    # With a facility scope: the people living in these provinces too (decision 0054).
    province_scope: frozenset[str] = frozenset()


def is_identifier(q: str) -> bool:
    compact = q.replace(" ", "")
    return bool(_NATIONAL_ID.match(compact) or _BHXH.match(compact) or _LEGACY_CARD.match(compact))


def _communes_of(provinces: frozenset[str]) -> Any:
    return select(Commune.code).where(Commune.province_code.in_(sorted(provinces)))


def resident_clause(provinces: frozenset[str]) -> Any:
    """Living in one of these provinces: the person's commune is theirs (decision 0054)."""
    return Beneficiary.commune_code.in_(_communes_of(provinces))


def in_scope_clause(scope: frozenset[uuid.UUID], provinces: frozenset[str] = frozenset()) -> Any:
    """Registered at one of these facilities, or booked there at least once; or living in one
    of these provinces (a province-scoped account, decision 0054)."""
    clauses = [
        Beneficiary.registered_facility_id.in_(scope),
        exists().where(Checkup.beneficiary_id == Beneficiary.id, Checkup.facility_id.in_(scope)),
    ]
    if provinces:
        clauses.append(resident_clause(provinces))
    return or_(*clauses)


async def visible(
    session: AsyncSession,
    beneficiary: Beneficiary,
    scope: frozenset[uuid.UUID],
    provinces: frozenset[str] = frozenset(),
) -> bool:
    if beneficiary.registered_facility_id in scope:
        return True
    seen: ColumnElement[bool] = exists().where(
        Checkup.beneficiary_id == beneficiary.id, Checkup.facility_id.in_(scope)
    )
    if provinces and beneficiary.commune_code is not None:
        seen = or_(seen, literal(beneficiary.commune_code).in_(_communes_of(provinces)))
    return bool(await session.scalar(select(seen)))


def name_words(q: str | None) -> list[str]:
    """The folded words of a name query; none for an identifier (matched exactly)."""
    return [] if not q or is_identifier(q) else fold(q).split()


def _word_clause(word: str, name: Any = Beneficiary.name_search) -> Any:
    """``word`` starts a word of the name: "nguyen an" finds "Nguyễn Văn An", "van an" does
    not find "Nguyễn Văn Bình". Both LIKE forms can use the trigram index."""
    word = like_escape(word)
    return or_(name.like(f"{word}%", escape="\\"), name.like(f"% {word}%", escape="\\"))


def _first_word(word: str) -> Any:
    """The name's first word starts with ``word``: a range of the name index as well as the
    LIKE (the range is what lets the database walk the index from the right place)."""
    name = Beneficiary.name_search
    clause = and_(name.like(f"{like_escape(word)}%", escape="\\"), name >= word)
    if ord(word[-1]) < 0x10FFFF:
        clause = and_(clause, name < word[:-1] + chr(ord(word[-1]) + 1))
    return clause


def _later_word(word: str) -> Any:
    """A later word of the name starts with ``word`` (trigram-indexed on PostgreSQL)."""
    return Beneficiary.later_names_search.like(f"% {like_escape(word)}%", escape="\\")


def _identifier_clause(q: str) -> Any:
    """Identifiers match exactly: CCCD/CMND, BHXH number (the person's or a card's), card."""
    compact = q.replace(" ", "")
    if _NATIONAL_ID.match(compact):
        return Beneficiary.national_id == compact
    card_holders = select(InsuranceCard.beneficiary_id)
    if _BHXH.match(compact):
        return or_(
            Beneficiary.bhxh_number == compact,
            Beneficiary.id.in_(card_holders.where(InsuranceCard.number == compact)),
        )
    return Beneficiary.id.in_(card_holders.where(InsuranceCard.number == compact.upper()))


def _filtered(filters: BeneficiaryFilters, *, name: bool = True) -> Select[Beneficiary]:
    """The filters as a statement; without the name words when ``name`` is false (the caller
    splits them, ``_by_name``)."""
    stmt = select(Beneficiary)
    if filters.q and is_identifier(filters.q):
        stmt = stmt.where(_identifier_clause(filters.q))
    elif filters.q and name:
        stmt = stmt.where(*(_word_clause(w) for w in name_words(filters.q)))
    if filters.commune_code is not None:
        stmt = stmt.where(Beneficiary.commune_code == filters.commune_code)
    if filters.ethnicity_code is not None:
        stmt = stmt.where(Beneficiary.ethnicity_code == filters.ethnicity_code)
    if filters.status is not None:
        stmt = stmt.where(Beneficiary.status == filters.status)
    if filters.registered_facility_id is not None:
        stmt = stmt.where(Beneficiary.registered_facility_id == filters.registered_facility_id)
    if filters.birth_year_from is not None:
        stmt = stmt.where(Beneficiary.birth_year >= filters.birth_year_from)
    if filters.birth_year_to is not None:
        stmt = stmt.where(Beneficiary.birth_year <= filters.birth_year_to)
    if filters.birth_date is not None:
        stmt = stmt.where(Beneficiary.birth_date == filters.birth_date)
    if filters.facility_scope is not None and not (filters.q and is_identifier(filters.q)):
        # An exact identifier (the card in the person's hand) finds anyone in the province.
        stmt = stmt.where(in_scope_clause(filters.facility_scope, filters.province_scope))
    if filters.category is not None:
        stmt = stmt.where(
            exists().where(
                BeneficiaryCategoryMembership.beneficiary_id == Beneficiary.id,
                BeneficiaryCategoryMembership.category_code == filters.category,
            )
        )
    return stmt


def _by_name(
    filters: BeneficiaryFilters, words: list[str], *, sort: str, cursor: str | None, limit: int
) -> Select[Beneficiary]:
    """A name search in name order, as two pages merged (decision 0035): people whose first
    word starts with the query's first word (a walk of the name index from that word on, the
    right plan however common the word: "nguyen" is a third of the country), and people with
    a later word starting with it (the trigram index of the later words: few for a family
    name). Each branch stops at a page; the people of both, in order, are the page."""
    key = BENEFICIARY_SORTS[sort]
    base = _filtered(filters, name=False).with_only_columns(Beneficiary.id, key.column)
    others = [_word_clause(w) for w in words[1:]]
    branches = [
        paginate(
            base.where(clause, *others),
            id_column=Beneficiary.id,
            sort=sort,
            key=key,
            cursor=cursor,
            limit=limit,
        )
        .subquery()
        .select()
        for clause in (_first_word(words[0]), _later_word(words[0]))
    ]
    found = union_all(*branches).subquery()
    return select(Beneficiary).where(Beneficiary.id.in_(select(found.c.id)))


def _names_with(words: list[str], *, sort: str, cursor: str | None) -> Select[Any]:
    """The distinct names with every word (decision 0066), from the cursor's name on."""
    key = BENEFICIARY_SORTS[sort]
    name = BeneficiaryName.name_search
    names = select(name).where(*(_word_clause(w, name) for w in words))
    if cursor is not None:
        value, _ = decode_cursor(cursor, sort, key)
        names = names.where(name <= value if key.descending else name >= value)
    return names


def _by_full_name(
    filters: BeneficiaryFilters,
    words: list[str],
    *,
    sort: str,
    cursor: str | None,
    limit: int,
    lateral: bool,
) -> Select[Beneficiary]:
    """A full name in name order (decision 0066): the distinct names with every word, found
    by trigrams among the registry's distinct names (six for "tran thi lan" at a million
    people, however many bear them), then each name's people through the name index.

    PostgreSQL: the names materialized (looked up by trigrams, never walked in order with the
    words as a filter), then for each name its first page of people from the cursor on, the
    filters applied, and the first page of them all. SQLite takes the names as an ``IN`` list,
    which it sorts and probes the name index with in order."""
    names = _names_with(words, sort=sort, cursor=cursor)
    people = _filtered(filters, name=False)
    if not lateral:
        return people.where(Beneficiary.name_search.in_(names))
    key = BENEFICIARY_SORTS[sort]
    found = names.cte("names").prefix_with("MATERIALIZED")
    each_name = select(found.c.name_search).subquery("n")
    each = paginate(
        people.with_only_columns(Beneficiary.id, key.column).where(
            Beneficiary.name_search == each_name.c.name_search
        ),
        id_column=Beneficiary.id,
        sort=sort,
        key=key,
        cursor=cursor,
        limit=limit,
    ).lateral("p")
    order = (each.c.name_search, each.c.id)
    page = (
        select(each.c.id)
        .select_from(each_name)
        .join(each, true())
        .order_by(*(c.desc() if key.descending else c.asc() for c in order))
        .limit(limit + 1)
    )
    return select(Beneficiary).where(Beneficiary.id.in_(page))


def _indexed_words(session: AsyncSession) -> bool:
    """PostgreSQL indexes the later words by trigrams; SQLite cannot, and finds every name
    query's names among the distinct names (decision 0066): a scan of tens of thousands of
    names instead of a walk of the name index through a million people."""
    return session.get_bind().dialect.name == "postgresql"


async def list_beneficiaries(
    session: AsyncSession,
    filters: BeneficiaryFilters,
    *,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Beneficiary], str | None]:
    key = BENEFICIARY_SORTS[sort]
    words = name_words(filters.q)
    by_name = bool(words) and key.column is Beneficiary.name_search
    indexed = _indexed_words(session)
    if by_name and (len(words) >= FULL_NAME_WORDS or not indexed):
        stmt = _by_full_name(filters, words, sort=sort, cursor=cursor, limit=limit, lateral=indexed)
        await plan_each_execution(session)
    elif by_name and indexed:
        stmt = _by_name(filters, words, sort=sort, cursor=cursor, limit=limit)
        # A generic plan cannot know where the words' range starts nor how common they are.
        await plan_each_execution(session)
    else:
        stmt = _filtered(filters)
    return await fetch_page(
        session,
        stmt,
        id_column=Beneficiary.id,
        sort=sort,
        key=key,
        cursor=cursor,
        limit=limit,
    )


# The two reads of every GET by id, built once with bind parameters (as the booking's
# statements, decision 0015): built per call, their construction and cache key were about 15 %
# of the server's CPU for a GET by id (decision 0024).
_BENEFICIARY_BY_ID = (
    select(Beneficiary)
    .where(Beneficiary.id == bindparam("beneficiary_id"))
    .options(selectinload(Beneficiary.categories))
)
_CURRENT_CARD = (
    select(InsuranceCard)
    .where(
        InsuranceCard.beneficiary_id == bindparam("beneficiary_id"),
        InsuranceCard.status == CardStatus.active,
        InsuranceCard.valid_from <= bindparam("on"),
        InsuranceCard.valid_to >= bindparam("on"),
    )
    .order_by(InsuranceCard.valid_to.desc(), InsuranceCard.id)
    .limit(1)
)


async def get(session: AsyncSession, beneficiary_id: uuid.UUID) -> Beneficiary | None:
    found = await session.scalars(_BENEFICIARY_BY_ID, {"beneficiary_id": beneficiary_id})
    return found.one_or_none()


async def id_by(session: AsyncSession, column: Any, value: str) -> uuid.UUID | None:
    return (await session.scalars(select(Beneficiary.id).where(column == value))).first()


async def current_card(
    session: AsyncSession, beneficiary_id: uuid.UUID, on: date
) -> InsuranceCard | None:
    found = await session.scalars(_CURRENT_CARD, {"beneficiary_id": beneficiary_id, "on": on})
    return found.first()


async def list_cards(
    session: AsyncSession, beneficiary_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[InsuranceCard], str | None]:
    sort = "-created_at"
    key = CARD_SORTS[sort]
    return await fetch_page(
        session,
        select(InsuranceCard).where(InsuranceCard.beneficiary_id == beneficiary_id),
        id_column=InsuranceCard.id,
        sort=sort,
        key=key,
        cursor=cursor,
        limit=limit,
    )


async def get_card(
    session: AsyncSession, beneficiary_id: uuid.UUID, card_id: uuid.UUID
) -> InsuranceCard | None:
    stmt = select(InsuranceCard).where(
        InsuranceCard.id == card_id, InsuranceCard.beneficiary_id == beneficiary_id
    )
    return (await session.scalars(stmt)).one_or_none()
