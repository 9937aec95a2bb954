"""Every text a report can show exists in Vietnamese and in English (the reports catalog)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir

import veteran_care.reports
from veteran_care.kit.i18n import LANGUAGES, catalog
from veteran_care.reports import (
    card_coverage,
    cards,
    coverage_queries,
    labels,
    people,
    queries,
    service,
    village_list,
    yearly,
)

REPORTS = Path(veteran_care.reports.__file__).parent


def texts_in_use() -> set[str]:
    """The ids passed to ``labels.text`` in the code, and those its tables hold."""
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPORTS,
            # exports.py calls SQLAlchemy's text(), which is no message
            method_map=[("exports.py", "ignore"), ("**.py", "python")],
            keywords={"text": None},
        )
    }
    for table in (
        labels.CHART_TITLES,
        labels.FIGURES,
        labels.REPORTS,
        labels.OUTCOMES,
        labels.FUNDING_SOURCES,
        labels.KINDS,
        yearly.HEADERS,
        yearly.SHEETS,
        card_coverage.HEADERS,
        card_coverage.PEOPLE_HEADERS,
        people.PEOPLE_HEADERS,
        # what each figure counts, as the JSON reports describe it
        queries.STATUS_NOTES,
        coverage_queries.COVERAGE_NOTES,
        service.DISPENSING_FIGURES,
        service.HEALTH_FIGURES,
        yearly.FIGURES,
        cards.FIGURES,
        village_list.OUTCOMES,
        village_list.HEADERS,
    ):
        found |= set(table.values())
    found |= {name for pair in labels.GROUPS.values() for name in pair if name}
    return found | set(yearly.NOTES) | {queries.RATE_FORMULA}


def test_every_report_text_is_in_both_languages() -> None:
    used = texts_in_use()
    assert len(used) > 80
    for language in LANGUAGES:
        missing = sorted(used - set(catalog(language, "reports")))
        assert missing == [], (language, missing)


def test_the_vietnamese_catalog_translates_and_keeps_placeholders() -> None:
    vietnamese = catalog("vi", "reports")
    assert set(vietnamese) == set(catalog("en", "reports"))
    for english, translated in vietnamese.items():
        assert translated != english or english in {"ATC group"}, english
        placeholders = {part.split("}")[0] for part in english.split("{")[1:]}
        assert placeholders == {part.split("}")[0] for part in translated.split("{")[1:]}, english
