"""The webhook deliveries in /metrics: ``veteran_care_webhook_deliveries{status="waiting|
delivered|failed"}``, counted from the database at each scrape, as the outbox's messages are."""

import asyncio
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.models import WebhookDeliveryStatus
from veteran_care.webhooks import repository

LABELS = {
    WebhookDeliveryStatus.pending: "waiting",
    WebhookDeliveryStatus.delivered: "delivered",
    WebhookDeliveryStatus.failed: "failed",
}
COUNT_TIMEOUT_SECONDS = 2.0


class DeliveryGauges(Collector):
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.known = False

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not self.known:  # never counted (the database did not answer): no figure, not 0
            return
        family = GaugeMetricFamily(
            "veteran_care_webhook_deliveries",
            "Webhook deliveries by status (waiting: not yet delivered, or to be tried again).",
            labels=["status"],
        )
        for status, label in LABELS.items():
            family.add_metric([label], self.counts.get(status.value, 0))
        yield family

    async def refresh(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Count again; keep the last figures if the database does not answer in time."""
        try:
            async with sessionmaker() as session:
                self.counts = await asyncio.wait_for(
                    repository.by_status(session), COUNT_TIMEOUT_SECONDS
                )
            self.known = True
        except Exception:
            return
