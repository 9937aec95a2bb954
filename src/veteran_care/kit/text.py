"""Vietnamese text: store NFC, search accent-insensitively (đ/Đ folded explicitly)."""

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints

# C0 and C1 control characters (NUL included) and the Unicode line/paragraph separators.
_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Multi-line text may keep tab, LF and CR.
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_FOLD_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """Accent- and case-insensitive search key: "Đặng  Văn Ân" -> "dang van an"."""
    decomposed = unicodedata.normalize("NFD", value.translate(_FOLD_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def _clean_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if _LINE_CONTROLS.search(value):
        raise ValueError("control characters (including NUL and line breaks) are not allowed")
    return _SPACES.sub(" ", nfc(value)).strip()


def _clean_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if _TEXT_CONTROLS.search(value):
        raise ValueError("control characters (including NUL) are not allowed")
    return nfc(value).strip()


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


CleanLine = BeforeValidator(_clean_line)
"""Annotated marker: NFC, trimmed, inner whitespace collapsed, no control characters."""
CleanText = BeforeValidator(_clean_text)
"""Annotated marker for multi-line text: NFC, trimmed, no control characters but tab/newline."""
NotBlank = AfterValidator(_not_blank)

Line100 = Annotated[str, CleanLine, StringConstraints(max_length=100), NotBlank]
Line200 = Annotated[str, CleanLine, StringConstraints(max_length=200), NotBlank]
Line300 = Annotated[str, CleanLine, StringConstraints(max_length=300), NotBlank]
Text4000 = Annotated[str, CleanText, StringConstraints(max_length=4000)]


def like_escape(value: str) -> str:
    """Escape LIKE wildcards so user input matches literally (use with ``escape='\\\\'``)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
