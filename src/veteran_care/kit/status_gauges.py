"""Rows of a shared table by status in /metrics, counted from the database at each scrape:
every worker and server shares the outbox and the webhook deliveries, so a process's own
counters would tell only its part."""

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

COUNT_TIMEOUT_SECONDS = 2.0
Count = Callable[[AsyncSession], Awaitable[dict[str, int]]]


class StatusGauges(Collector):
    """``name{status="..."}``: one gauge per (status, label) of ``labels``; ``count`` answers
    the rows by status."""

    def __init__(
        self, name: str, documentation: str, labels: Iterable[tuple[str, str]], count: Count
    ) -> None:
        self.name, self.documentation, self.count = name, documentation, count
        self.labels = list(labels)
        self.counts: dict[str, int] = {}
        self.known = False

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not self.known:  # never counted (the database did not answer): no figure, not 0
            return
        family = GaugeMetricFamily(self.name, self.documentation, labels=["status"])
        for status, label in self.labels:
            family.add_metric([label], self.counts.get(status, 0))
        yield family

    async def refresh(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Count again; keep the last figures if the database does not answer in time."""
        try:
            async with sessionmaker() as session:
                self.counts = await asyncio.wait_for(self.count(session), COUNT_TIMEOUT_SECONDS)
            self.known = True
        except Exception:
            return
