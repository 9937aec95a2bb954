import unicodedata

import pytest
from pydantic import TypeAdapter, ValidationError

from veteran_care.kit.text import Line200, fold, nfc

LINE = TypeAdapter(Line200)


def test_fold_removes_accents_and_case() -> None:
    assert fold("Nguyễn Văn An") == "nguyen van an"


def test_fold_folds_d_with_stroke_which_does_not_decompose() -> None:
    assert fold("Đặng Văn Đức") == "dang van duc"
    assert fold("đường") == "duong"


def test_fold_gives_the_same_key_for_nfc_and_nfd_input() -> None:
    name = "Lò Thị Hương"
    assert fold(unicodedata.normalize("NFD", name)) == fold(unicodedata.normalize("NFC", name))


def test_line_stores_nfc_trimmed_with_single_spaces() -> None:
    decomposed = unicodedata.normalize("NFD", "  Nguyễn   Văn  An ")
    assert LINE.validate_python(decomposed) == nfc("Nguyễn Văn An")


@pytest.mark.parametrize("bad", ["Nguyễn\x00An", "Nguyễn\nAn", "A\x1bB", "A\x85B", "   "])
def test_line_refuses_control_characters_and_blank(bad: str) -> None:
    with pytest.raises(ValidationError):
        LINE.validate_python(bad)


def test_line_is_length_capped() -> None:
    with pytest.raises(ValidationError):
        LINE.validate_python("a" * 201)
