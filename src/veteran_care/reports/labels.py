"""What an officer reads in place of a code: the names of communes, categories, facilities,
medicines and ethnic groups, months as 12/2026, and each grouping's, figure's and report's name,
in the language asked for. The texts are English message ids of the ``reports`` catalog
(``locale/<language>/LC_MESSAGES/reports.po``); the codes stay beside the names (they are the
contract)."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.kit.clock import local_zone
from veteran_care.kit.i18n import translate
from veteran_care.models import Account, Facility, Medicine
from veteran_care.reference import repository as reference
from veteran_care.reports.queries import NO_CATEGORY
from veteran_care.venues import repository as venues

# A grouping: (header of its code column, header of its name column or None: the code is read
# as it is).
GROUPS: Mapping[str, tuple[str, str | None]] = {
    "province": ("Province code", "Province"),
    "commune": ("Commune code", "Commune or ward"),
    "facility": ("Facility id", "Facility"),
    "venue": ("Venue id", "Venue"),
    "category": ("Category code", "Category"),
    "sex": ("Sex code", "Sex"),
    "ethnicity": ("Ethnic group code", "Ethnic group"),
    "age_band": ("Age band", None),
    "month": ("Month code", "Month"),
    "medicine": ("Medicine code", "Medicine"),
    "atc_group": ("ATC group", None),
    "funding_source": ("Funding source code", "Funding source"),
    "sponsor": ("Sponsor", None),
}
FUNDING_SOURCES = {
    "state-budget": "State budget",
    "health-insurance": "Health insurance",
    "sponsor": "Sponsor",
    "unknown": "Not recorded",
}
CHART_TITLES = {
    "province": "Attendance rate by province",
    "commune": "Attendance rate by commune or ward",
    "facility": "Attendance rate by facility",
    "venue": "Attendance rate by venue",
    "category": "Attendance rate by category",
    "sex": "Attendance rate by sex",
    "ethnicity": "Attendance rate by ethnic group",
    "age_band": "Attendance rate by age band",
    "month": "Attendance rate by month",
}
FIGURES = {
    "booked": "Checkups booked",
    "attended": "Attended",
    "noshow": "Did not come",
    "cancelled_by_patient": "Cancelled by the person",
    "cancelled_by_facility": "Cancelled by the facility",
    "pending": "Not yet held",
    "attendance_rate": "Attendance rate",
    "active": "People on the registry",
    "checked_within_interval": "Checked within their interval",
    "due": "Due for a check",
    "overdue": "Overdue",
    "never_checked": "Never checked",
    "quantity": "Units handed out",
    "people": "People",
    "dispenses": "Dispenses",
    "kind": "Kind",
    "health_class": "Health class",
    "checkups": "Checkups",
    "icd10_code": "ICD-10 code",
    "title": "Diagnosis",
    "diagnoses": "Diagnoses",
}
REPORTS = {
    "attendance": "Attendance at periodic health checks",
    "coverage": "Coverage of periodic health checks",
    "dispensing": "Medicines handed out",
    "health": "Health classes and frequent diagnoses",
    "attendance-people": "People booked for a periodic health check",
    "yearly-checks": "Yearly summary of periodic health checks for people with merit",
    "card-coverage": "Health insurance card coverage",
    "card-coverage-people": "People by health insurance card",
}
KINDS = {"classification": "Health class", "diagnosis": "Diagnosis"}  # the health report's rows
_SEXES = {"male": "Male", "female": "Female", "other": "Other", "unknown": "Unknown"}
OUTCOMES = {
    "attended": "Attended",
    "noshow": "Did not come",
    "cancelled_by_patient": "Cancelled by the person",
    "cancelled_by_facility": "Cancelled by the facility",
    "pending": "Not yet held",
}


def text(message: str, language: str, **values: Any) -> str:
    """A text of the ``reports`` catalog in ``language``."""
    return translate(message, language, domain="reports", **values)


def described(figures: Mapping[str, str], language: str) -> dict[str, str]:
    """What each figure counts (its rule), in ``language``; the keys stay the figures' codes."""
    return {key: text(rule, language) for key, rule in figures.items()}


async def names(session: AsyncSession, group: str, language: str = "vi") -> Mapping[str, str]:
    """Code -> name for a grouping's values (empty when its values are read as they are)."""
    if group == "commune":
        return {c.code: c.name for c in await reference.communes(session, None)}
    if group == "province":
        return {c.province_code: c.province_name for c in await reference.communes(session, None)}
    if group == "category":
        found = {
            c.code: c.name_vi if language == "vi" else c.name_en
            for c in await reference.categories(session)
        }
        return found | {NO_CATEGORY: text("No category", language)}
    if group == "ethnicity":
        return {g.code: g.name for g in await reference.ethnic_groups(session)}
    if group == "facility":
        rows = (await session.execute(select(Facility.id, Facility.name))).all()
        return {str(facility_id): name for facility_id, name in rows}
    if group == "venue":
        return await venues.names(session)
    if group == "medicine":
        medicines = (await session.execute(select(Medicine.code, Medicine.name))).all()
        return {str(code): str(name) for code, name in medicines}
    if group == "sex":
        return {code: text(name, language) for code, name in _SEXES.items()}
    if group == "funding_source":
        return {code: text(name, language) for code, name in FUNDING_SOURCES.items()}
    return {}


def name_of(group: str, value: Any, known: Mapping[str, str], language: str = "vi") -> str:
    """The name of a grouping's value alone (its code in its own column)."""
    if value is None:
        if group == "venue":
            return text("At the facility", language)
        return text("(unknown)", language)
    if group == "month":
        return month(int(value))
    return known.get(str(value), str(value))


def month(value: int) -> str:
    """202612 -> 12/2026."""
    return f"{value % 100:02d}/{value // 100}"


def label(group: str, value: Any, known: Mapping[str, str], language: str = "vi") -> str:
    """The name of a grouping's value, with its code beside it where the code means something."""
    name = name_of(group, value, known, language)
    if value is None or group in ("sex", "facility", "venue", "month", "funding_source"):
        return name
    if str(value) not in known:
        return name
    return f"{name} ({value})" if group != "category" or value != NO_CATEGORY else name


async def with_names(
    session: AsyncSession, groups: list[str], rows: list[dict[str, Any]], language: str
) -> list[dict[str, Any]]:
    """Each row with ``<group>_name`` beside each grouping's code that has a name."""
    for group in groups:
        if GROUPS[group][1] is None:
            continue
        known = await names(session, group, language)
        for row in rows:
            row[f"{group}_name"] = name_of(group, row.get(group), known, language)
    return rows


def period(
    date_from: date | None, date_to: date | None, campaign: str | None, language: str = "vi"
) -> str:
    """The period in words, for a chart's or a sheet's title block."""
    parts = []
    if date_from and date_to:
        parts.append(
            text("from {start} to {end}", language, start=_day(date_from), end=_day(date_to))
        )
    elif date_from:
        parts.append(text("from {start}", language, start=_day(date_from)))
    elif date_to:
        parts.append(text("up to {end}", language, end=_day(date_to)))
    if campaign:
        parts.append(text("campaign {campaign}", language, campaign=campaign))
    return ", ".join(parts) or text("all time", language)


def _day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


async def made_by(session: AsyncSession, account_id: Any, login: str) -> str:
    """Who made a report, for its title block: the account's name and login."""
    name = await session.scalar(select(Account.display_name).where(Account.id == account_id))
    return f"{name} ({login})" if name and name != login else login


def made_at(when: datetime) -> str:
    """The time a report was made, on the province's clock."""
    return f"{when.astimezone(local_zone()):%d/%m/%Y %H:%M}"
