"""The catalogs and the language a request asks for."""

import pytest

from veteran_care.kit.i18n import LANGUAGES, catalog, negotiate, translate


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("vi", "vi"),
        ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("en-US,en;q=0.9", "en"),
        ("fr, en;q=0.5", "en"),
        ("vi;q=0.2, en;q=0.8", "en"),
        ("de", "vi"),
        ("", "vi"),
        (None, "vi"),
        ("en;q=oops, vi", "vi"),
    ],
)
def test_the_language_asked_for_or_the_default(header: str | None, chosen: str) -> None:
    assert negotiate(header, "vi") == chosen


def test_the_default_stands_when_nothing_matches() -> None:
    assert negotiate("ja, zh;q=0.5", "en") == "en"


def test_a_text_is_translated_and_filled() -> None:
    assert translate("Not Found", "vi") == "Không tìm thấy"
    assert translate("Not Found", "en") == "Not Found"
    assert translate("{n} left", "vi", n=3) == "3 left"  # no translation: the English id


def test_every_catalog_is_read_for_every_language() -> None:
    for language in LANGUAGES:
        assert isinstance(catalog(language), dict)
    assert catalog("vi")
