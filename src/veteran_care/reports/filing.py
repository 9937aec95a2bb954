"""From a report's figures to the file an officer files: the language and agency of the request
(:class:`Filing`), the title block, the columns (each grouping's code, then its name, then the
figures), with headers from the ``reports`` catalog."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.principal import Actor
from veteran_care.reports import labels
from veteran_care.reports.layout import Column, Kind, TitleBlock

TEXT_FIGURES = frozenset({"kind", "health_class", "icd10_code", "title"})
RATES = frozenset({"attendance_rate"})


@dataclass(frozen=True)
class Filing:
    """Who a file is for: the language of its texts and the agency named at its top; and, from
    a replica that is behind (decision 0056), the time its data is complete to."""

    language: str = "vi"
    agency: str = ""
    data_as_of: datetime | None = None


def figure_kind(key: str) -> Kind:
    if key in RATES:
        return "rate"
    return "text" if key in TEXT_FIGURES else "count"


def header(key: str, language: str, headers: Mapping[str, str] = labels.FIGURES) -> str:
    title = labels.text(headers.get(key, key), language)
    return f"{title} (%)" if key in RATES else title


def columns(
    groups: Sequence[str],
    figures: Sequence[str],
    language: str,
    headers: Mapping[str, str] = labels.FIGURES,
) -> list[Column]:
    """Each grouping's name, then its code, then the figures."""
    found: list[Column] = []
    for group in groups:
        code, name = labels.GROUPS[group]
        if name is not None:
            found.append(Column(f"{group}_name", labels.text(name, language), "text"))
        found.append(Column(group, labels.text(code, language), "text"))
    found += [Column(key, header(key, language, headers), figure_kind(key)) for key in figures]
    return found


async def title_block(
    session: AsyncSession,
    actor: Actor,
    filing: Filing,
    report: str,
    period: str,
    generated_at: datetime,
) -> TitleBlock:
    principal = actor.require()
    by = await labels.made_by(session, principal.account_id, principal.login)
    language = filing.language
    made = labels.text(
        "Made on {when} by {who}", language, when=labels.made_at(generated_at), who=by
    )
    if filing.data_as_of is not None:
        when = labels.made_at(filing.data_as_of)
        made += ". " + labels.text(
            "Data as of {when}, from a copy that is behind", language, when=when
        )
    return TitleBlock(
        agency=filing.agency,
        title=labels.text(labels.REPORTS.get(report, report), language),
        period=labels.text("Period: {period}", language, period=period),
        made=made,
        language=language,
    )


def total_label(language: str) -> str:
    return labels.text("Total", language)
