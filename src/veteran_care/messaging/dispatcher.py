"""The dispatcher: takes what is due from the outbox, sends it, records what came of it.

One round: write the reminders that fell due (at most once a minute), claim a batch, decide the
new messages of it (``prepare``), send them a few at a time, record each answer as an attempt
and each message's fate, in three short transactions; no transaction is open while a provider
is asked. ``veteran-care worker`` runs rounds in a process of its own; ``serve`` runs them in
the background of each server process unless told not to (decision 0037).
"""

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.config import Settings
from veteran_care.db.engine import WRITE_OPTION
from veteran_care.kit.clock import today as local_today
from veteran_care.kit.clock import utcnow
from veteran_care.kit.http import client_session
from veteran_care.messaging import channels as channel_set
from veteran_care.messaging import queue, reminders
from veteran_care.messaging.channels.base import Answer, Channel, Outgoing
from veteran_care.messaging.prepare import prepare
from veteran_care.models import MessageChannel, MessageStatus

logger = logging.getLogger("veteran_care.messages")
REMINDERS_EVERY_SECONDS = 60.0
_UNSENT = Answer("retry", "not sent")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:64]


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        http: aiohttp.ClientSession,
        name: str | None = None,
    ) -> None:
        self.sessionmaker, self.settings, self.http = sessionmaker, settings, http
        self.name = name or worker_name()
        self.channels: dict[MessageChannel, Channel] = channel_set.build(settings, http)
        self.reminders_at = 0.0

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        """A write transaction (BEGIN IMMEDIATE on SQLite: no lock upgrade to fail midway)."""
        async with self.sessionmaker.begin() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            yield session

    async def write_reminders(self, today: date) -> int:
        async with self._writing() as session:
            return await reminders.enqueue_due(session, self.settings, today)

    async def round(self, today: date | None = None) -> int:
        """One round; answers how many messages it claimed (0: nothing was due)."""
        today = today or local_today()
        if time.monotonic() - self.reminders_at >= REMINDERS_EVERY_SECONDS:
            await self.write_reminders(today)
            self.reminders_at = time.monotonic()
        s = self.settings
        async with self._writing() as session:
            now = utcnow()
            await queue.give_up_on_expired(session, now, s.messages_max_attempts, self.name)
            rows = await queue.claim(
                session,
                self.name,
                now,
                timedelta(seconds=s.messages_claim_seconds),
                s.messages_batch_size,
                list(self.channels),
                s.messages_max_attempts,
            )
        if not rows:
            return 0
        attempts = {r.id: r.attempts for r in rows}
        sending = await self._decide(rows, attempts, today)
        answers = await self._send_all(sending)
        await self._record(sending, answers, attempts)
        return len(rows)

    async def _decide(
        self, rows: Sequence[Any], attempts: dict[uuid.UUID, int], today: date
    ) -> list[Outgoing]:
        """Decide the new messages; let go of those whose channel is not configured (they
        wait, their attempt not counted); answer the others."""
        async with self._writing() as session:
            ready = await prepare(session, rows, self.name, self.settings, today)
            waiting = [
                (m.id, {"attempts": attempts[m.id] - 1, "claimed_by": None, "claimed_until": None})
                for m in ready
                if m.channel not in self.channels
            ]
            await queue.write_many(session, self.name, waiting)
        return [m for m in ready if m.channel in self.channels]

    async def _send_all(self, sending: Sequence[Outgoing]) -> list[Answer]:
        """Each message's answer, in order: ``messages_concurrency`` senders take the next
        message as each is done (a task and a semaphore wait a message cost more)."""
        answers: list[Answer] = [_UNSENT] * len(sending)
        queued = iter(enumerate(sending))

        async def sender() -> None:
            for index, message in queued:
                answers[index] = await self._send(message)

        senders = min(self.settings.messages_concurrency, len(sending))
        await asyncio.gather(*(sender() for _ in range(senders)))
        return answers

    async def _send(self, message: Outgoing) -> Answer:
        try:
            return await self.channels[message.channel].send(message)
        except Exception as exc:  # a channel's bug must not stop the others
            logger.exception("message %s: the channel failed", message.id)
            return Answer("retry", f"channel error: {type(exc).__name__}")

    async def _record(
        self, sent: Sequence[Outgoing], answers: Sequence[Answer], attempts: dict[uuid.UUID, int]
    ) -> None:
        """Each answer as an attempt and each message's fate, in one transaction. A message
        sent is logged at DEBUG (its attempt is the record), one that is not at INFO, and the
        round once at INFO: a log line a message cost as much as its two writes."""
        now = utcnow()
        logged: list[queue.Attempt] = []
        changes: list[tuple[uuid.UUID, dict[str, Any]]] = []
        outcomes: Counter[str] = Counter()
        for message, answer in zip(sent, answers, strict=True):
            number = attempts.get(message.id, 1)
            changes.append((message.id, self._fate(answer, number, now)))
            logged.append(
                queue.Attempt(message.id, number, answer.outcome, answer.http_status, answer.text)
            )
            outcomes[answer.outcome] += 1
            logger.log(
                logging.DEBUG if answer.outcome == "sent" else logging.INFO,
                "message %s (%s, %s) try %d: %s %s",
                message.id,
                message.kind.value,
                message.channel.value,
                number,
                answer.outcome,
                answer.http_status or "",
            )
        async with self._writing() as session:
            await queue.write_many(session, self.name, changes)
            await queue.log_attempts(session, logged, self.name, now)
        logger.info("message worker %s: %s", self.name, dict(outcomes))

    def _fate(self, answer: Answer, number: int, now: datetime) -> dict[str, Any]:
        released = {
            "claimed_by": None,
            "claimed_until": None,
            "status_detail": answer.text,
            "updated_at": now,
        }
        if answer.outcome == "sent":
            return {
                **released,
                "status": MessageStatus.sent,
                "sent_at": now,
                "provider_message_id": answer.provider_id,
            }
        if answer.outcome == "failed" or number >= self.settings.messages_max_attempts:
            return {**released, "status": MessageStatus.failed}
        wait = self.settings.messages_retry_base_seconds * 2 ** (number - 1)
        wait *= random.uniform(0.8, 1.2)
        return {**released, "next_attempt_at": now + timedelta(seconds=wait)}

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Rounds until ``stop`` is set (or the task is cancelled). The next round comes at
        once only after a full batch: after a partial one (a trickle of bookings), an idle one
        or an error (logged: a database gone for a while is waited for), a pause, so that what
        comes in meanwhile is taken in one round rather than a round a message (each round is
        three transactions, beside the API in ``serve``)."""
        stop = stop or asyncio.Event()
        logger.info("message worker %s started", self.name)
        while not stop.is_set():
            try:
                busy = await self.round()
            except Exception:
                logger.exception("message worker %s: the round failed", self.name)
                busy = 0
            if busy < self.settings.messages_batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.messages_poll_seconds)


@contextlib.asynccontextmanager
async def opened(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, name: str | None = None
) -> AsyncIterator[Dispatcher]:
    """A dispatcher and the HTTP client session it sends with, closed on the way out."""
    http = client_session(settings.gateway_timeout_seconds, settings.messages_concurrency)
    async with http:
        yield Dispatcher(sessionmaker, settings, http, name)


async def run_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event | None = None,
) -> None:
    async with opened(sessionmaker, settings) as dispatcher:
        await dispatcher.run(stop)
