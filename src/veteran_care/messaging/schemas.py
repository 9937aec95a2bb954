"""The messaging API's shapes: templates and their preview, a person's messages, the queue."""

import uuid
from datetime import datetime

from veteran_care.kit.schemas import InputSchema, OutputSchema, examples
from veteran_care.kit.text import Text4000
from veteran_care.models import MessageChannel, MessageKind, MessageStatus

_TEMPLATE = (
    "Nhắc lịch: {ho_ten} khám sức khỏe {buoi} {thu}, ngày {ngay}, tại {co_so}. "
    "Xin mang theo thẻ BHYT và CCCD."
)


class SmsCost(OutputSchema):
    """What one SMS of a text costs."""

    encoding: str
    """gsm-7 (160 characters in one part, 153 a part when split) or ucs-2 (70, 67): any
    Vietnamese diacritic makes a text ucs-2."""
    length: int
    """Length in the encoding's units (a GSM extension character such as € counts two)."""
    parts: int
    """SMS parts it is sent (and billed) as."""


class TemplateRead(OutputSchema):
    """A kind of message's text as it is sent now."""

    kind: MessageKind
    """The kind of message the text is for."""
    body: str
    """The template: Vietnamese text with placeholders in braces (see `placeholders`)."""
    built_in: bool
    """True while no admin has saved a text of their own for this kind."""
    placeholders: dict[str, str]
    """The placeholders a template may use, and what each becomes."""
    version: int
    """0 for the built-in text; its ETag (`"0"`) is the `If-Match` of the first save."""


class TemplateUpdate(InputSchema):
    """A new text for a kind of message."""

    model_config = examples({"body": _TEMPLATE})

    body: Text4000
    """Vietnamese text with placeholders in braces: {ho_ten}, {ngay}, {thu}, {buoi},
    {co_so}, {so_ngay}, {ly_do}. Any other name in braces is refused (422)."""


class PreviewRequest(InputSchema):
    """A template to try out before saving it (nothing is saved)."""

    model_config = examples({"kind": "reminder_early", "body": _TEMPLATE})

    kind: MessageKind
    """The kind of message (its current text is tried when `body` is left out)."""
    body: Text4000 | None = None
    """The text to try; left out: the kind's current text."""


class Preview(OutputSchema):
    """A template filled with sample values, as a person would read it, and what it costs."""

    text: str
    """With diacritics: as Zalo and the printed list carry it."""
    sms: SmsCost
    """Sent as an SMS with diacritics."""
    text_without_diacritics: str
    """As SMS carry it when VETERAN_CARE_SMS_WITHOUT_DIACRITICS is on (the default)."""
    sms_without_diacritics: SmsCost


class AttemptRead(OutputSchema):
    """One try at sending, with what the provider answered."""

    number: int
    """1 for the first try."""
    at: datetime
    """When the answer came (UTC)."""
    outcome: str
    """sent, retry (a later try follows unless it was the last) or failed."""
    http_status: int | None
    """The provider's HTTP status; none when it was not reached or did not answer."""
    answer: str | None
    """The provider's answer, cut at 500 characters."""


class MessageRead(OutputSchema):
    """A message about a person's checkup (or a place offered to them), as staff follow it."""

    id: uuid.UUID
    """Also the key the provider deduplicates on."""
    kind: MessageKind
    """Why it is sent."""
    checkup_id: uuid.UUID | None
    """The checkup it is about (none for a waitlist offer)."""
    waitlist_entry_id: uuid.UUID | None = None
    """The waitlist entry whose held place it offers (a ``waitlist_offer``)."""
    status: MessageStatus
    """pending, sent, failed or cancelled."""
    channel: MessageChannel | None
    """Known once the dispatcher has taken the message."""
    recipient: str | None
    """A phone number, or the commune code of a printed list."""
    recipient_name: str | None
    """Whom it is addressed to."""
    body: str | None
    """The text as sent."""
    attempts: int
    """Tries so far."""
    next_attempt_at: datetime
    """When it is (or was) due to be tried (UTC)."""
    sent_at: datetime | None
    """When the provider took it (UTC)."""
    status_detail: str | None
    """Why it was cancelled or failed, or the provider's last answer."""
    created_at: datetime
    """When the change that caused it was made (UTC)."""
    tries: list[AttemptRead]
    """Each attempt, first first."""


class QueueState(OutputSchema):
    """The outbox at a glance."""

    due: int
    """Waiting and due now (the dispatcher takes them on its next round)."""
    retry_later: int
    """Waiting for a later try."""
    in_flight: int
    """Claimed by a worker now."""
    sent: int
    """Sent (all time)."""
    failed: int
    """Failed for good (all time)."""
    cancelled: int
    """Cancelled: nobody to tell, or the checkup changed."""
    oldest_due_at: datetime | None
    """When the longest-waiting due message fell due: far in the past means no worker runs,
    or its channel is not configured."""
