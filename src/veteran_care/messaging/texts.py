"""The words of a message: the built-in Vietnamese templates, filling them in, the variant
without diacritics, and what an SMS of it costs (length and parts).

Diacritics are stripped with the standard library's Unicode decomposition (NFD, combining marks
dropped, đ/Đ mapped by hand, as ``kit.text.fold`` does for search): Vietnamese needs nothing
more, and the transliteration libraries that do more are GPL-licensed (Unidecode) or dual
GPL/Artistic (text-unidecode). Whether a text fits the GSM 7-bit alphabet is the ``gsm0338``
codec's answer (decision 0038).
"""

import math
import string
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import gsm0338  # type: ignore[import-untyped]  # noqa: F401  (registers "gsm03.38")

from veteran_care.kit.clock import local_zone
from veteran_care.models import MessageKind, PartOfDay

PLACEHOLDERS: dict[str, str] = {
    "ho_ten": "the person's full name",
    "ngay": "the day of the checkup (dd/mm/yyyy)",
    "thu": "its weekday (Thứ Hai … Chủ nhật)",
    "buoi": "part of day (buổi sáng, buổi chiều, or empty)",
    "co_so": "the facility's name",
    "so_ngay": "days from today to the checkup",
    "ly_do": "the reason given for a cancellation",
    "han_giu": "until when a place offered from a waitlist is held (HH:MM dd/mm/yyyy)",
}

_BRING = "Xin mang theo thẻ BHYT và CCCD."
DEFAULTS: dict[MessageKind, str] = {
    MessageKind.confirmation: (
        "Kính gửi {ho_ten}: lịch khám sức khỏe định kỳ của ông/bà là {buoi} {thu}, ngày "
        "{ngay}, tại {co_so}. " + _BRING
    ),
    MessageKind.reminder_early: (
        "Nhắc lịch: {ho_ten} khám sức khỏe {buoi} {thu}, ngày {ngay} (còn {so_ngay} ngày), "
        "tại {co_so}. " + _BRING
    ),
    MessageKind.reminder_late: (
        "Nhắc lịch: còn {so_ngay} ngày, {ho_ten} khám sức khỏe {buoi} {thu}, ngày {ngay}, tại "
        "{co_so}. Nếu không đến được, xin báo trạm y tế xã."
    ),
    MessageKind.cancellation: (
        "Lịch khám ngày {ngay} tại {co_so} của {ho_ten} đã được hủy. Để đặt lịch khác, xin "
        "liên hệ trạm y tế xã hoặc {co_so}."
    ),
    MessageKind.session_cancelled: (
        "Xin lỗi {ho_ten}: lịch khám {buoi} ngày {ngay} tại {co_so} bị hủy ({ly_do}). Trạm y tế "
        "xã sẽ liên hệ để hẹn ngày khác; ông/bà cũng có thể gọi {co_so}."
    ),
    MessageKind.rescheduled: (
        "Lịch khám của {ho_ten} đã đổi sang {buoi} {thu}, ngày {ngay}, tại {co_so}. " + _BRING
    ),
    MessageKind.waitlist_offer: (
        "Kính gửi {ho_ten}: đã có chỗ khám {buoi} {thu}, ngày {ngay}, tại {co_so}. Chỗ được "
        "giữ cho ông/bà đến {han_giu}; xin liên hệ trạm y tế xã hoặc {co_so} để đặt lịch."
    ),
}

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
PARTS = {PartOfDay.morning: "buổi sáng", PartOfDay.afternoon: "buổi chiều"}

SAMPLE: dict[str, str] = {
    "ho_ten": "Lò Văn Pọm",
    "ngay": "14/12/2026",
    "thu": "Thứ Hai",
    "buoi": "buổi sáng",
    "co_so": "Trung tâm Y tế huyện Mường Chà",
    "so_ngay": "7",
    "ly_do": "bác sĩ đi tập huấn",
    "han_giu": "17:30 07/12/2026",
}


def unknown_placeholders(body: str) -> list[str]:
    """The ``{names}`` of a template that are not placeholders (a format error raises)."""
    found = [field for _, field, _, _ in string.Formatter().parse(body) if field is not None]
    return sorted({f for f in found if f not in PLACEHOLDERS})


def values_for(
    full_name: str,
    day: date,
    part_of_day: PartOfDay | None,
    facility_name: str,
    today: date,
    reason: str | None,
    hold_until: datetime | None = None,
) -> dict[str, str]:
    held = hold_until.astimezone(local_zone()) if hold_until else None
    return {
        "ho_ten": full_name,
        "ngay": day.strftime("%d/%m/%Y"),
        "thu": WEEKDAYS[day.weekday()],
        "buoi": PARTS.get(part_of_day, "") if part_of_day else "",
        "co_so": facility_name,
        "so_ngay": str((day - today).days),
        "ly_do": reason or "lý do đột xuất",
        "han_giu": held.strftime("%H:%M %d/%m/%Y") if held else "",
    }


def render(body: str, values: dict[str, str]) -> str:
    """The template filled in, spaces tidied (an empty ``{buoi}`` leaves none doubled)."""
    text = body.format_map(values)
    return " ".join(text.split()).replace(" ,", ",")


_PUNCTUATION = str.maketrans(
    {"đ": "d", "Đ": "D", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."}
)


def _stripped(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch.translate(_PUNCTUATION))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Each Latin letter with marks (and each mark alone) as what it leaves, for one ``translate``.
_STRIP = str.maketrans(
    {
        ch: _stripped(ch)
        for ch in map(chr, [*range(0xC0, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00)])
    }
    | {chr(k): v for k, v in _PUNCTUATION.items()}
)


def without_diacritics(text: str) -> str:
    """ "Kính gửi Lò Văn Pọm" -> "Kinh gui Lo Van Pom" (case kept).

    One ``translate`` with a table made once does it for a Vietnamese text (a message's text,
    for each message sent: a fifth of the time the three normalisations took); a text it
    leaves not ASCII (another script, a letter outside the table) takes the long way."""
    quick = text.translate(_STRIP)
    if quick.isascii():
        return quick
    decomposed = unicodedata.normalize("NFD", text.translate(_PUNCTUATION))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


@dataclass(frozen=True)
class SmsSize:
    """What an SMS of a text costs: its encoding, its length in that encoding's units, parts."""

    encoding: str  # gsm-7 or ucs-2
    length: int
    parts: int


def sms_size(text: str) -> SmsSize:
    """GSM-7: 160 septets in one part, 153 a part when split (an extension character such as
    € counts two). Otherwise UCS-2: 70 characters in one, 67 a part (UTF-16 units)."""
    try:
        septets = len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-le")) // 2
        return SmsSize("ucs-2", units, 1 if units <= 70 else math.ceil(units / 67))
    return SmsSize("gsm-7", septets, 1 if septets <= 160 else math.ceil(septets / 153))
