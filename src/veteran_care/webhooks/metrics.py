"""The webhook deliveries in /metrics: ``veteran_care_webhook_deliveries{status="waiting|
delivered|failed"}``, counted as the outbox's messages are."""

from veteran_care.kit.status_gauges import StatusGauges
from veteran_care.models import WebhookDeliveryStatus
from veteran_care.webhooks import repository

LABELS = {
    WebhookDeliveryStatus.pending: "waiting",
    WebhookDeliveryStatus.delivered: "delivered",
    WebhookDeliveryStatus.failed: "failed",
}


def delivery_gauges() -> StatusGauges:
    return StatusGauges(
        "veteran_care_webhook_deliveries",
        "Webhook deliveries by status (waiting: not yet delivered, or to be tried again).",
        LABELS.items(),
        repository.by_status,
    )
