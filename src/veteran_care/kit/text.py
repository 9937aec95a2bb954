"""Vietnamese text: store NFC, search accent-insensitively (đ/Đ folded explicitly).

Input string types clean the raw value (NFC, trim, collapse spaces) and refuse control
characters. Their JSON schema (``maxLength`` and ``pattern`` on the raw value) says exactly what
is accepted, so generated clients and schema-based fuzzers agree with the server.
"""

import re
import unicodedata
from functools import partial
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, StringConstraints

from veteran_care.kit.i18n import InvalidValue

_LINE_FORBIDDEN = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_TEXT_FORBIDDEN = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
LINE_PATTERN = rf"^[^{_LINE_FORBIDDEN}]*[^\s{_LINE_FORBIDDEN}][^{_LINE_FORBIDDEN}]*$"
TEXT_PATTERN = rf"^[^{_TEXT_FORBIDDEN}]*$"

_LINE_CONTROLS = re.compile(f"[{_LINE_FORBIDDEN}]")
_TEXT_CONTROLS = re.compile(f"[{_TEXT_FORBIDDEN}]")
_SPACES = re.compile(r"\s+")
_FOLD_MAP = str.maketrans({"đ": "d", "Đ": "D"})
# The combining marks of the Combining Diacritical Marks block, all Vietnamese accents among
# them: removed by one `str.translate` (the other combining characters one by one, if any).
_ACCENTS = {c: None for c in range(0x300, 0x370) if unicodedata.combining(chr(c))}


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """Accent- and case-insensitive search key: "Đặng  Văn Ân" -> "dang van an"."""
    stripped = unicodedata.normalize("NFD", value.translate(_FOLD_MAP)).translate(_ACCENTS)
    if not stripped.isascii():  # combining characters of other blocks may remain
        stripped = "".join(ch for ch in stripped if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def _check_raw(value: str, max_length: int, controls: re.Pattern[str], what: str) -> None:
    if len(value) > max_length:
        raise InvalidValue("at most {max_length} characters", max_length=max_length)
    if controls.search(value):
        raise InvalidValue("control characters ({what}) are not allowed", what=what)


def _clean_line(value: Any, max_length: int) -> Any:
    if not isinstance(value, str):
        return value
    _check_raw(value, max_length, _LINE_CONTROLS, "including NUL and line breaks")
    cleaned = _SPACES.sub(" ", nfc(value)).strip()
    if not cleaned:
        raise InvalidValue("must not be blank")
    return cleaned


def _clean_text(value: Any, max_length: int) -> Any:
    if not isinstance(value, str):
        return value
    _check_raw(value, max_length, _TEXT_CONTROLS, "including NUL")
    return nfc(value).strip()


def _line(max_length: int) -> tuple[StringConstraints, BeforeValidator]:
    # Metadata applies inside out: the BeforeValidator (last) cleans the raw value first.
    return (
        StringConstraints(min_length=1, max_length=max_length, pattern=LINE_PATTERN),
        BeforeValidator(partial(_clean_line, max_length=max_length)),
    )


Line30 = Annotated[str, *_line(30)]
Line60 = Annotated[str, *_line(60)]
Line100 = Annotated[str, *_line(100)]
Line200 = Annotated[str, *_line(200)]
Line300 = Annotated[str, *_line(300)]
Text4000 = Annotated[
    str,
    StringConstraints(max_length=4000, pattern=TEXT_PATTERN),
    BeforeValidator(partial(_clean_text, max_length=4000)),
]


def like_escape(value: str) -> str:
    """Escape LIKE wildcards so user input matches literally (use with ``escape='\\\\'``)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Seen in full only by roles that see identifiers (``Principal.sees_identifiers``); every other
# caller sees all but their last 4 characters, in every view: the registry, cards, FHIR, reports.
MASKED_FIELDS = ("national_id", "bhxh_number", "number", "phone")
Model = TypeVar("Model", bound=BaseModel)


def mask_fields(model: Model) -> Model:
    """The model with each of its ``MASKED_FIELDS`` masked."""
    for name in MASKED_FIELDS:
        if name in type(model).model_fields:
            setattr(model, name, mask(getattr(model, name)))
    return model


def mask(value: str | None) -> str | None:
    """All but the last 4 characters hidden: "011058001234" -> "********1234"."""
    if value is None:
        return None
    return "*" * max(len(value) - 4, 0) + value[-4:]
