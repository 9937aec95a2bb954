"""Message catalogs: what people read, in Vietnamese or English, from gettext ``.po`` files.
On the ground floor, so that ``errors`` can translate every problem; the domains take it
through ``kit.i18n``.

The message ids are the English texts; ``locale/<language>/LC_MESSAGES/<domain>.po`` holds each
language's translations (an English catalog may leave a text untranslated: the id is English).
Babel reads the ``.po`` files at first use, so there is no compile step and the two README
commands need nothing but Python. ``python -m babel.messages.frontend`` (``pybabel``) extracts,
updates and checks them; a test walks every catalog.

Placeholders are ``str.format`` names: ``translate("Beneficiary {id} was not found.", "vi",
id=...)``. A domain groups what one part of the house says (``messages`` for problems and
validation, ``reports`` for report headers and labels).

What is said before anyone knows to whom (a rule's verdict, an error raised deep in a service)
is a :class:`Message`, an id with its values, translated when the response is written. The
extractor finds the ids by these names: ``Message``, ``InvalidValue``, ``N_`` and the error
classes (see ``tests/kit/test_catalog.py``).
"""

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any, Final

from babel import Locale
from babel.core import UnknownLocaleError
from babel.messages.pofile import read_po

LANGUAGES: Final = ("vi", "en")


@cache
def catalog(language: str, domain: str = "messages") -> Mapping[str, str]:
    """Message id -> translation for a language and domain (empty when there is no such file)."""
    path = files("veteran_care") / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as po:
        read = read_po(po, locale=language, domain=domain)
    return {
        str(m.id): str(m.string) for m in read if m.id and isinstance(m.string, str) and m.string
    }


def translate(message: str, language: str, domain: str = "messages", **values: Any) -> str:
    """``message`` in ``language`` (the English id itself where no translation is written),
    with ``values`` put in its ``{placeholders}`` (a value that is a :class:`Message` is
    translated too)."""
    text = catalog(language, domain).get(message, message)
    if not values:
        return text
    return text.format(
        **{
            name: value.in_language(language, domain) if isinstance(value, Message) else value
            for name, value in values.items()
        }
    )


def N_(message: str) -> str:
    """Marks a text for the catalog where it is written; it is translated where it is sent."""
    return message


class Message(str):
    """A text to say, not yet in a language: its English id and the values of its
    placeholders. As a ``str`` it is the English text (for logs, the CLI and comparisons);
    the response translates it into the request's language."""

    id: str
    values: dict[str, Any]

    def __new__(cls, id: str, /, **values: Any) -> "Message":
        made = super().__new__(cls, translate(id, "en", **values))
        made.id = id
        made.values = values
        return made

    def in_language(self, language: str, domain: str = "messages") -> str:
        return translate(self.id, language, domain, **self.values)


def translated(text: str, language: str, domain: str = "messages") -> str:
    """A :class:`Message`, or a plain text taken as an id, in ``language``."""
    if isinstance(text, Message):
        return text.in_language(language, domain)
    return translate(text, language, domain)


class InvalidValue(ValueError):
    """What a field validator raises: pydantic reports it as a ``value_error`` whose message
    the error renderer translates, from its id and values, into the request's language."""

    def __init__(self, message: str, /, **values: Any) -> None:
        self.message = message if isinstance(message, Message) else Message(message, **values)
        super().__init__(str(self.message))


def negotiate(accept_language: str | None, default: str) -> str:
    """The language an ``Accept-Language`` header asks for, among :data:`LANGUAGES`, by its
    q-values; ``default`` when it asks for none of them (or is absent or malformed)."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag.strip()))
    preferred = [tag.replace("-", "_") for q, _, tag in sorted(ranked) if q < 0 and tag != "*"]
    try:
        chosen = Locale.negotiate(preferred, list(LANGUAGES), sep="_")
    except (UnknownLocaleError, ValueError):
        chosen = None
    return chosen.language if chosen is not None else default
