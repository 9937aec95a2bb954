"""The outbox in /metrics: ``veteran_care_messages{status="waiting|sent|failed|cancelled"}``."""

from veteran_care.kit.status_gauges import StatusGauges
from veteran_care.messaging import repository
from veteran_care.models import MessageStatus

LABELS = {
    MessageStatus.pending: "waiting",
    MessageStatus.sent: "sent",
    MessageStatus.failed: "failed",
    MessageStatus.cancelled: "cancelled",
}


def outbox_gauges() -> StatusGauges:
    return StatusGauges(
        "veteran_care_messages",
        "Messages in the outbox by status (waiting: not yet sent, or to be tried again).",
        LABELS.items(),
        repository.by_status,
    )
