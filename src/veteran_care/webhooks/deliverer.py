"""The delivery worker: takes the heads of the lines that are due, posts them signed, records
what came of each (decision 0047).

The outbox's pattern (decision 0037): a claim in one short transaction, the requests with no
transaction open, the outcomes in another, written only where the claim is still the
worker's. It runs beside the message dispatcher: in ``serve`` and in ``veteran-care worker``.
"""

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.config import Settings
from veteran_care.db.engine import WRITE_OPTION
from veteran_care.kit.clock import utcnow
from veteran_care.kit.http import client_session
from veteran_care.models import WebhookDeliveryStatus
from veteran_care.webhooks import queue, signing

logger = logging.getLogger("veteran_care.webhooks")
LONGEST_WAIT_SECONDS = 86400.0
GONE = 410  # the receiver says the endpoint is gone for good: no more tries


def worker_name() -> str:
    """The message dispatcher's naming (host, process, a few random letters); not imported
    from it, since the domains that write events are below the messaging package."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:64]


@dataclass(frozen=True)
class Answer:
    outcome: str  # delivered, retry, failed
    http_status: int | None
    duration_ms: int
    text: str


class Deliverer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        http: aiohttp.ClientSession,
        name: str | None = None,
    ) -> None:
        self.sessionmaker, self.settings, self.http = sessionmaker, settings, http
        self.name = name or worker_name()
        self.limit = asyncio.Semaphore(settings.messages_concurrency)

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker.begin() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            yield session

    async def round(self) -> int:
        """One round; answers how many deliveries it claimed (0: nothing was due)."""
        s = self.settings
        async with self.sessionmaker() as session:
            if not await queue.anything_due(session, utcnow()):
                return 0
        async with self._writing() as session:
            now = utcnow()
            await queue.give_up_on_expired(session, now, s.webhooks_max_attempts)
            rows = await queue.claim(
                session,
                self.name,
                now,
                timedelta(seconds=s.messages_claim_seconds),
                s.messages_batch_size,
                s.webhooks_max_attempts,
            )
            if not rows:
                return 0
            targets = await queue.secrets_and_urls(session, {r.subscription_id for r in rows})
        rows = [r for r in rows if r.subscription_id in targets]  # else deleted meanwhile
        answers = await asyncio.gather(*(self._post(r, *targets[r.subscription_id]) for r in rows))
        await self._record(rows, answers)
        return len(rows)

    async def _post(self, row: Any, url: str, secret: str) -> Answer:
        async with self.limit:
            started = time.monotonic()
            headers = signing.headers(secret, str(row.id), utcnow(), row.body)
            try:
                async with self.http.post(
                    url, data=row.body.encode(), headers=headers, allow_redirects=False
                ) as response:
                    status, text = response.status, (await response.read()).decode(errors="replace")
            except Exception as exc:  # refused, timed out, or a bad address: tried again
                took = int((time.monotonic() - started) * 1000)
                return Answer("retry", None, took, f"{type(exc).__name__}: {exc}"[:500])
            took = int((time.monotonic() - started) * 1000)
            if 200 <= status < 300:
                outcome = "delivered"
            else:
                outcome = "failed" if status == GONE else "retry"
            return Answer(outcome, status, took, text[:500])

    async def _record(self, rows: Sequence[Any], answers: Sequence[Answer]) -> None:
        now = utcnow()
        logged: list[queue.Attempt] = []
        async with self._writing() as session:
            for row, answer in zip(rows, answers, strict=True):
                values = {**self._fate(answer, row.attempts, now), "updated_at": now}
                await queue.write(session, row.seq, self.name, values)
                logged.append(
                    queue.Attempt(
                        row.seq,
                        row.attempts,
                        answer.outcome,
                        answer.http_status,
                        answer.duration_ms,
                        answer.text,
                    )
                )
                logger.info(
                    "webhook delivery %s try %d: %s %s",
                    row.id,
                    row.attempts,
                    answer.outcome,
                    answer.http_status or "",
                )
            await queue.log_attempts(session, logged, self.name, now)

    def _fate(self, answer: Answer, number: int, now: datetime) -> dict[str, Any]:
        released = {"claimed_by": None, "claimed_until": None, "status_detail": answer.text}
        if answer.outcome == "delivered":
            return {**released, "status": WebhookDeliveryStatus.delivered, "delivered_at": now}
        if answer.outcome == "failed" or number >= self.settings.webhooks_max_attempts:
            return {**released, "status": WebhookDeliveryStatus.failed}
        wait = self.settings.webhooks_retry_base_seconds * 2 ** (number - 1)
        wait = min(wait * random.uniform(0.8, 1.2), LONGEST_WAIT_SECONDS)
        return {**released, "next_attempt_at": now + timedelta(seconds=wait)}

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Rounds until ``stop`` is set (or the task is cancelled); a pause when idle or after
        an error (logged)."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                busy = await self.round()
            except Exception:
                logger.exception("webhook worker %s: the round failed", self.name)
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.messages_poll_seconds)


@contextlib.asynccontextmanager
async def opened(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, name: str | None = None
) -> AsyncIterator[Deliverer]:
    """A deliverer and the HTTP client session it posts with, closed on the way out."""
    http = client_session(settings.webhooks_timeout_seconds, settings.messages_concurrency)
    async with http:
        yield Deliverer(sessionmaker, settings, http, name)


async def run_deliverer(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event | None = None,
) -> None:
    async with opened(sessionmaker, settings) as deliverer:
        await deliverer.run(stop)
