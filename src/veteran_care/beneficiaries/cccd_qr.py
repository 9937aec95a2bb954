"""The QR code on a chip citizen identity card (CCCD), as a desk's scanner types it out.

Seven parts separated by ``|``: the 12-digit CCCD number, the old 9-digit CMND (empty when the
person had none), the full name, the birth date, the sex (``Nam`` or ``Nữ``), the permanent
address and the card's issue date. Dates are written ``ddmmyyyy`` or ``dd/mm/yyyy`` (both are
seen on cards). Cards issued since July 2024 may add parts after these; they are not read.
"""

import re
import unicodedata
from datetime import date

from veteran_care.kit.schemas import OutputSchema
from veteran_care.kit.text import fold
from veteran_care.models import Sex

PARTS = (
    "the CCCD number",
    "the old CMND number",
    "the full name",
    "the birth date",
    "the sex",
    "the address",
    "the issue date",
)
_DATE = re.compile(r"^([0-9]{2})/?([0-9]{2})/?([0-9]{4})$")
_SEXES = {"nam": Sex.male, "nu": Sex.female}


class UnreadableScan(ValueError):
    """The text is not a CCCD QR code; the message says which part is wrong."""


class ScannedCard(OutputSchema):
    """What the card says."""

    national_id: str
    """The 12-digit CCCD number."""
    legacy_cmnd: str | None
    """The person's old 9-digit CMND, if the card names one."""
    full_name: str
    """The full name, as printed."""
    birth_date: date
    """The birth date."""
    sex: Sex
    """male (Nam) or female (Nữ)."""
    address: str
    """The permanent address (nơi thường trú), as printed."""
    issued_on: date
    """The day the card was issued."""


def _date(text: str, part: int) -> date:
    match = _DATE.match(text)
    if match is None:
        raise UnreadableScan(f"part {part + 1} ({PARTS[part]}) is not a date: ddmmyyyy")
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise UnreadableScan(f"part {part + 1} ({PARTS[part]}) is not a real date") from None


def parse(text: str, today: date) -> ScannedCard:
    """The card's fields, or :class:`UnreadableScan` naming the first part that is wrong."""
    parts = [p.strip() for p in unicodedata.normalize("NFC", text.strip()).split("|")]
    if len(parts) < len(PARTS):
        raise UnreadableScan(
            f"a CCCD QR code has {len(PARTS)} parts separated by |; this text has {len(parts)}"
        )
    national_id, cmnd, name, born, sex, address, issued = parts[: len(PARTS)]
    if not re.fullmatch(r"[0-9]{12}", national_id):
        raise UnreadableScan("part 1 (the CCCD number) must be 12 digits")
    if cmnd and not re.fullmatch(r"[0-9]{9}", cmnd):
        raise UnreadableScan("part 2 (the old CMND number) must be 9 digits or empty")
    if not name or any(ch.isdigit() for ch in name):
        raise UnreadableScan("part 3 (the full name) must be a name")
    if fold(sex) not in _SEXES:
        raise UnreadableScan("part 5 (the sex) must be Nam or Nữ")
    birth_date, issued_on = _date(born, 3), _date(issued, 6)
    if birth_date > today or issued_on > today or issued_on < birth_date:
        raise UnreadableScan("the birth and issue dates must be in the past, birth first")
    return ScannedCard(
        national_id=national_id,
        legacy_cmnd=cmnd or None,
        full_name=" ".join(name.split()),
        birth_date=birth_date,
        sex=_SEXES[fold(sex)],
        address=" ".join(address.split()),
        issued_on=issued_on,
    )


def commune_in(address: str, communes: dict[str, str]) -> str | None:
    """The code of the one commune whose name the address names (accents and case aside), or
    None when none or several do. ``communes``: folded name -> code."""
    folded = fold(address)
    found = {
        code for name, code in communes.items() if re.search(rf"\b{re.escape(name)}\b", folded)
    }
    return found.pop() if len(found) == 1 else None
