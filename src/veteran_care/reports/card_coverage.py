"""The card coverage report and the people behind its figures, as JSON or as an officer's file
(the figures: :mod:`veteran_care.reports.cards`)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.db.session import plan_each_execution
from veteran_care.kit.clock import today
from veteran_care.kit.pagination import Page, page_of, paginate, text_key
from veteran_care.models import Beneficiary
from veteran_care.reports import cards, labels, queries, sheets
from veteran_care.reports.exports import Document
from veteran_care.reports.filing import Filing, columns, title_block, total_label
from veteran_care.reports.layout import Column, Sheet
from veteran_care.reports.provinces import People
from veteran_care.reports.schemas import CardPerson, ReportTable

HEADERS = {
    "active": "People on the registry",
    "valid": "Card valid today",
    "expiring_30": "Card ends within 30 days",
    "expiring_60": "Card ends within 60 days",
    "expired": "Card expired",
    "none": "No card",
}
PEOPLE_HEADERS = {
    "full_name": "Full name",
    "birth_year": "Year of birth",
    "sex": "Sex",
    "phone": "Phone",
    "commune_name": "Commune or ward",
    "commune": "Commune code",
    "card_valid_to": "Card valid until",
    "card_ended_on": "Last card ended on",
    "beneficiary_id": "Person id",
}
DAYS = frozenset({"card_valid_to", "card_ended_on"})
NAME_KEY = text_key(Beneficiary.name_search)


async def _audit(session: AsyncSession, actor: Actor, what: str, fmt: str) -> None:
    await audit.record(session, actor, "export", resource_type="report", detail=f"{what} as {fmt}")


async def report(
    session: AsyncSession,
    actor: Actor,
    group_by: Sequence[str] | None,
    fmt: str,
    filing: Filing,
) -> ReportTable | Document:
    """Cards valid today, ending within 30 / 60 days, expired, none; by province, commune and
    category."""
    groups = list(dict.fromkeys(group_by or []))
    people = People.of(actor.require())
    on = today()
    rows = await queries.rows(session, cards.statement(on, groups, people))
    total = (await queries.rows(session, cards.statement(on, [], people)))[0]
    language = filing.language
    await _audit(session, actor, "card-coverage", fmt)
    table = ReportTable(
        report="card-coverage",
        generated_at=datetime.now().astimezone(),
        filters={"on": on},
        group_by=groups,
        figures=labels.described(cards.FIGURES, language),
        rows=await labels.with_names(session, groups, rows, language),
        total=total,
    )
    if fmt not in sheets.FORMATS:
        return table
    words = labels.text("on {day}", language, day=f"{on:%d/%m/%Y}")
    block = await title_block(session, actor, filing, table.report, words, table.generated_at)
    sheet = Sheet(
        name=labels.text("Report", language),
        columns=columns(groups, list(cards.FIGURES), language, HEADERS),
        rows=table.rows,
        total=total if groups else None,
        total_label=total_label(language),
    )
    return await sheets.render(fmt, table.report, block, [sheet])


async def people(
    session: AsyncSession,
    actor: Actor,
    bucket: str,
    where: tuple[str | None, str | None],
    fmt: str,
    filing: Filing,
    *,
    cursor: str | None,
    limit: int,
) -> Page[CardPerson] | Document:
    """The people of a bucket (and of a commune and/or category: ``where``), by name: JSON
    pages, or the whole list as an officer's CSV, XLSX or PDF."""
    principal = actor.require()
    on = today()
    commune, category = where
    stmt = cards.people_statement(
        on,
        bucket,
        commune,
        category,
        People.of(principal),
        mask_phones=not principal.sees_identifiers,
    )
    await _audit(session, actor, f"card-coverage people ({bucket})", fmt)
    await plan_each_execution(session)
    if fmt in sheets.FORMATS:
        ordered = stmt.order_by(Beneficiary.name_search, Beneficiary.id)
        rows = [dict(row._mapping) for row in (await session.execute(ordered)).all()]
        return await _people_file(session, actor, filing, fmt, bucket, rows)
    keyed = paginate(
        stmt, id_column=Beneficiary.id, sort="name", key=NAME_KEY, cursor=cursor, limit=limit
    )
    found = (await session.execute(keyed)).all()
    items, next_cursor = page_of(found, sort="name", key=NAME_KEY, limit=limit)
    listed = [CardPerson.model_validate(dict(row._mapping)) for row in items]
    return Page(items=listed, next_cursor=next_cursor)


async def _people_file(
    session: AsyncSession,
    actor: Actor,
    filing: Filing,
    fmt: str,
    bucket: str,
    rows: list[dict[str, Any]],
) -> Document:
    language = filing.language
    sexes = await labels.names(session, "sex", language)
    for row in rows:
        row["sex"] = sexes.get(str(getattr(row["sex"], "value", row["sex"])))
    words = labels.text(
        "{bucket}, on {day}",
        language,
        bucket=labels.text(HEADERS[bucket], language),
        day=f"{today():%d/%m/%Y}",
    )
    block = await title_block(
        session, actor, filing, "card-coverage-people", words, datetime.now().astimezone()
    )
    cols = [
        Column(key, labels.text(title, language), "date" if key in DAYS else "text")
        for key, title in PEOPLE_HEADERS.items()
    ]
    sheet = Sheet(name=labels.text("People", language), columns=cols, rows=rows)
    return await sheets.render(fmt, "card-coverage-people", block, [sheet])
