"""Every message the API can send exists in both catalogs: the ids are extracted from the source
with Babel's extractor (the names that carry a message id: ``Message``, ``InvalidValue``, ``N_``,
the error classes and the functions that write a problem), then looked up in the catalogs."""

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import extract_from_dir

import veteran_care
from veteran_care.errors import DomainError
from veteran_care.kit.i18n import LANGUAGES, catalog

PACKAGE = Path(veteran_care.__file__).parent
# Operators' texts (the CLI) and the report labels (their own `reports` domain) are not here.
NOT_HERE = ("cli/**.py", "reports/**.py")
# Where the message id is not the first argument.
ARGUMENT = {"InvalidInput": 2, "Refusal": 3, "problem_response": 4, "edge_problem": 4}


def _error_classes() -> set[str]:
    for module in pkgutil.walk_packages(veteran_care.__path__, "veteran_care."):
        if not module.name.startswith(("veteran_care.cli", "veteran_care.reports")):
            importlib.import_module(module.name)
    found: set[str] = set()
    todo = [DomainError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


@cache
def keywords() -> dict[str, tuple[int, ...] | None]:
    """The callables whose argument is a message id, as Babel's extractor takes them."""
    names = {"Message", "InvalidValue", "N_", "Refusal", "problem_response", "edge_problem"}
    return {
        name: (ARGUMENT[name],) if name in ARGUMENT else None for name in names | _error_classes()
    }


@cache
def sendable() -> dict[str, str]:
    """Every message id the code can send -> where it is written."""
    method_map = [*((pattern, "ignore") for pattern in NOT_HERE), ("**.py", "python")]
    found: dict[str, str] = {}
    for filename, lineno, message, _, _ in extract_from_dir(
        PACKAGE, method_map, keywords=keywords(), comment_tags=()
    ):
        assert isinstance(message, str), f"{filename}:{lineno}: {message!r}"
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_the_extractor_finds_the_messages() -> None:
    found = sendable()
    assert len(found) > 200
    assert "Session {session_id} was not found." in found  # an error's detail
    assert "Field required" in found  # a validation message, by pydantic's type
    assert "must not be blank" in found  # a field validator's message
    assert "Not Found" in found  # a title


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_its_text_in_each_language(language: str) -> None:
    texts = catalog(language)
    if language == "en":  # the ids are English: the catalog lists them, texts may stay empty
        missing = [m for m in sendable() if m not in _ids("en")]
    else:
        missing = [m for m in sendable() if not texts.get(m, "").strip()]
    assert not missing, f"{len(missing)} messages without a {language} text: {missing[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_between_id_and_text(language: str) -> None:
    wrong = {
        message: text
        for message, text in catalog(language).items()
        if _placeholders(message) != _placeholders(text)
    }
    assert not wrong


def test_the_catalogs_hold_nothing_the_code_no_longer_says() -> None:
    for language in LANGUAGES:
        stale = sorted(_ids(language) - set(sendable()))
        assert not stale, f"{language}: {stale[:10]}"


def _ids(language: str) -> set[str]:
    from babel.messages.pofile import read_po

    path = PACKAGE / "locale" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return {str(m.id) for m in read_po(po) if m.id}


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def test_every_error_is_raised_with_an_id_the_extractor_can_read() -> None:
    """An f-string, a variable or a concatenation where an id belongs would reach people
    untranslated: the id is a literal, or a ``Message`` (or a name bound to one)."""
    loose = []
    for path in PACKAGE.rglob("*.py"):
        if any(path.relative_to(PACKAGE).match(p) for p in NOT_HERE):
            continue
        for call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(call.func, "id", getattr(call.func, "attr", None))
            if name not in keywords() or name == "N_":
                continue
            position = ARGUMENT.get(name, 1) - 1
            if len(call.args) <= position:
                continue
            argument = call.args[position]
            if isinstance(argument, ast.JoinedStr | ast.BinOp):
                loose.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
    assert not loose


def test_every_message_is_given_the_values_of_its_placeholders() -> None:
    """``Message("… {name} …", name=...)``: a value missing would fail at the response, one
    too many is a placeholder the text forgot."""
    unmatched = []
    for path in PACKAGE.rglob("*.py"):
        for call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(call.func, "id", getattr(call.func, "attr", None))
            if name not in ("Message", "InvalidValue") or not call.args:
                continue
            text = call.args[0]
            if not (isinstance(text, ast.Constant) and isinstance(text.value, str)):
                continue
            given = {k.arg for k in call.keywords}
            if None not in given and given != _placeholders(text.value):
                unmatched.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
    assert not unmatched
