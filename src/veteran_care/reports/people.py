"""The people behind the attendance figures: one row per checkup, for follow-up (JSON pages,
or a file whose header row and values are in the reader's language)."""

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, String, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from veteran_care.auth.principal import Actor
from veteran_care.db.session import plan_each_execution
from veteran_care.kit.pagination import Page, SortKey, page_of, paginate
from veteran_care.kit.text import mask
from veteran_care.models import Beneficiary, Checkup, Commune, Facility
from veteran_care.reports import exports, labels
from veteran_care.reports.exports import Document
from veteran_care.reports.filing import Filing, title_block
from veteran_care.reports.queries import Scope, age_band, scoped
from veteran_care.reports.schemas import AttendancePerson
from veteran_care.reports.service import Period, audit_pull, scope_of

EXPORT_BATCH = 2000  # rows per fetch of the CSV export on SQLite
PEOPLE_KEY = SortKey(
    Checkup.date, parse=lambda v: date.fromisoformat(v), dump=lambda v: v.isoformat()
)
PEOPLE_HEADERS = {
    "checkup_id": "Checkup id",
    "date": "Date",
    "facility_id": "Facility id",
    "facility_name": "Facility",
    "beneficiary_id": "Person id",
    "full_name": "Full name",
    "phone": "Phone",
    "commune": "Commune code",
    "commune_name": "Commune or ward",
    "sex": "Sex",
    "age_band": "Age band",
    "outcome": "Outcome",
}

_PHONE = Beneficiary.__table__.c.phone.type
PHONE_LENGTH = _PHONE.length if isinstance(_PHONE, String) and _PHONE.length else 16
PEOPLE_COLUMNS = (
    "checkup_id",
    "date",
    "facility_id",
    "facility_name",
    "beneficiary_id",
    "full_name",
    "phone",
    "commune",
    "commune_name",
    "sex",
    "age_band",
    "outcome",
)


def masked_phone(phone: Any) -> ColumnElement[Any]:
    """``kit.text.mask`` in SQL (PostgreSQL and SQLite): all but the last 4 characters hidden."""
    length = func.length(phone)
    hidden = func.substr(literal("*" * PHONE_LENGTH), 1, length - 4, type_=String)
    shown = func.substr(phone, length - 3, type_=String)
    return case((length > 4, hidden.concat(shown)), else_=phone)


class _DayText(FunctionElement[str]):
    """A date column as the officer writes it, dd/mm/yyyy (text), by the database itself: the
    person list streams (COPY on PostgreSQL) without a Python loop over its rows."""

    type = String()
    name = "day_text"
    inherit_cache = True


@compiles(_DayText, "postgresql")
def _day_text_postgresql(element: _DayText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'DD/MM/YYYY')"


@compiles(_DayText)
def _day_text_sqlite(element: _DayText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%d/%m/%Y', {compiler.process(element.clauses, **kw)})"


def _named(column: Any, names: Mapping[str, str] | None) -> Any:
    """A code column, or its names (a CASE over the codes) when ``names`` are given."""
    if names is None:
        return column
    return case(
        *((column == code, cast(literal(name), String)) for code, name in names.items()),
        else_=cast(column, String),
    )


def attendance_people_statement(
    scope: Scope,
    reference_year: int,
    *,
    mask_phones: bool = False,
    keyed: bool = True,
    headers: Mapping[str, str] | None = None,
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> Select[Any]:
    """Who was booked and whether they came: one row per checkup, for follow-up. The columns
    are PEOPLE_COLUMNS (after ``id``, the pagination key, when ``keyed``), labelled with
    ``headers`` when given (a file's header row, with the day as dd/mm/yyyy text), ``sex``
    and ``outcome`` given as ``names`` when given."""
    phone = masked_phone(Beneficiary.phone) if mask_phones else Beneficiary.phone
    names = names or {}
    values: dict[str, Any] = {
        "checkup_id": Checkup.id,
        "date": _DayText(Checkup.date) if headers else Checkup.date,
        "facility_id": Checkup.facility_id,
        "facility_name": Facility.name,
        "beneficiary_id": Beneficiary.id,
        "full_name": Beneficiary.full_name,
        "phone": phone,
        "commune": Beneficiary.commune_code,
        "commune_name": Commune.name,
        "sex": _named(Beneficiary.sex, names.get("sex")),
        "age_band": age_band(reference_year),
        "outcome": _named(Checkup.outcome, names.get("outcome")),
    }
    headers = headers or {}
    columns: list[Any] = [values[key].label(headers.get(key, key)) for key in PEOPLE_COLUMNS]
    if keyed:
        columns.insert(0, Checkup.id.label("id"))
    stmt: Select[Any] = (
        select(*columns)
        .select_from(Checkup)
        .join(Beneficiary, Beneficiary.id == Checkup.beneficiary_id)
        .join(Facility, Facility.id == Checkup.facility_id)
        .outerjoin(Commune, Commune.code == Beneficiary.commune_code)
    )
    stmt = scoped(stmt, scope).where(Checkup.outcome.is_not(None))
    return stmt.order_by(Checkup.date, Beneficiary.name_search, Checkup.id)


async def attendance_people(
    session: AsyncSession,
    actor: Actor,
    sessionmaker: async_sessionmaker[AsyncSession],
    period: Period,
    fmt: str,
    filing: Filing,
    *,
    cursor: str | None,
    limit: int,
) -> Page[AttendancePerson] | Document:
    """The people behind the attendance figures: JSON pages, or the whole list as a CSV stream
    (read by its own session from `sessionmaker`, after this transaction has committed): the
    title block, then the list under headers and with sex and outcome in the reader's
    language."""
    scope = scope_of(actor, period)
    masked = not actor.require().sees_identifiers
    await audit_pull(session, actor, "attendance people", fmt)
    if fmt != "csv":
        statement = attendance_people_statement(scope, period.year)
        return await _people_page(session, statement, masked, cursor, limit)
    language = filing.language
    headers = {key: labels.text(PEOPLE_HEADERS[key], language) for key in PEOPLE_COLUMNS}
    names = {
        "sex": await labels.names(session, "sex", language),
        "outcome": {key: labels.text(name, language) for key, name in labels.OUTCOMES.items()},
    }
    listed = attendance_people_statement(
        scope, period.year, mask_phones=masked, keyed=False, headers=headers, names=names
    )
    words = labels.period(period.date_from, period.date_to, _campaign(period), language)
    block = await title_block(
        session, actor, filing, "attendance-people", words, datetime.now().astimezone()
    )
    preamble = [block.agency, block.title, block.period, block.made, ""]
    return _people_csv(
        session, sessionmaker, listed, [headers[k] for k in PEOPLE_COLUMNS], preamble
    )


def _campaign(period: Period) -> str | None:
    return str(period.campaign_id) if period.campaign_id else None


def _people_csv(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    listed: Select[Any],
    header: list[str],
    preamble: list[str],
) -> Document:
    stem = "attendance-people"
    if session.get_bind().dialect.name == "postgresql":
        return exports.csv_copy_stream(stem, sessionmaker, listed, preamble)

    async def batches() -> AsyncIterator[Sequence[Row[Any]]]:
        async with sessionmaker() as reader:
            result = await reader.stream(listed.execution_options(yield_per=EXPORT_BATCH))
            async for batch in result.partitions():
                yield batch

    return exports.csv_stream(stem, header, batches(), preamble)


async def _people_page(
    session: AsyncSession, statement: Select[Any], masked: bool, cursor: str | None, limit: int
) -> Page[AttendancePerson]:
    keyed = paginate(
        statement.order_by(None),
        id_column=Checkup.id,
        sort="date",
        key=PEOPLE_KEY,
        cursor=cursor,
        limit=limit,
    )
    await plan_each_execution(session)
    rows = (await session.execute(keyed)).all()
    items, next_cursor = page_of(rows, sort="date", key=PEOPLE_KEY, limit=limit)
    people = []
    for row in items:
        item = dict(row._mapping)
        if masked:
            item["phone"] = mask(item["phone"])
        people.append(AttendancePerson.model_validate(item))
    return Page(items=people, next_cursor=next_cursor)
