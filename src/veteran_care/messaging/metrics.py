"""The outbox in /metrics: ``veteran_care_messages{status="waiting|sent|failed|cancelled"}``,
counted from the database at each scrape (every worker and server shares one outbox, so a
process's own counters would tell only its part)."""

import asyncio
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.messaging import repository
from veteran_care.models import MessageStatus

LABELS = {
    MessageStatus.pending: "waiting",
    MessageStatus.sent: "sent",
    MessageStatus.failed: "failed",
    MessageStatus.cancelled: "cancelled",
}
COUNT_TIMEOUT_SECONDS = 2.0


class OutboxGauges(Collector):
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.known = False

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not self.known:  # never counted (the database did not answer): no figure, not 0
            return
        family = GaugeMetricFamily(
            "veteran_care_messages",
            "Messages in the outbox by status (waiting: not yet sent, or to be tried again).",
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
        except (TimeoutError, OSError, Exception):
            return
