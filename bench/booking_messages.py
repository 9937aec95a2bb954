"""``booking.py --messages``: booking throughput with messages on and off, in one run (issue 25).

Three variants of this script's tree take turns, alternating, on the same database:

- ``messages-off``: no dispatcher (``VETERAN_CARE_MESSAGES_WORKER_IN_SERVE=false``, no worker);
  each booking still writes its confirmation to the outbox (one INSERT in the booking's
  transaction: the outbox cannot be switched off, a change committed always has its message);
- ``messages-worker``: production's layout (docker-compose.yml): the confirmations are sent, as
  bookings come, by a ``veteran-care worker`` process of its own, on the load generator's CPU
  (the server keeps CPU 0 to itself, as it would keep its own machine or core);
- ``messages-in-serve``: the embedded default (the README's first command): the server's own
  dispatcher sends them, on the server's CPU.

Both send to the gateway stand-in of the tests (a threaded HTTP server in this script's
process, on the load generator's CPU), as a province with an SMS contract runs.

Every person has a phone and has consented to SMS. Before each turn the messages left pending
by the turn before are cancelled, so that no turn inherits another's backlog."""

import contextlib
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from trees import Tree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.messaging.gateway import Gateway
from tests.messaging.worker_process import WorkerProcess

from veteran_care.kit.clock import today
from veteran_care.models import ConsentStatus, ContactChannel

WORKER = "messages-worker"
CANCEL_BACKLOG = (
    "UPDATE messages SET status = 'cancelled', status_detail = 'benchmark: next turn' "
    "WHERE status = 'pending'"
)


def variants(own: Tree, gateway: Gateway) -> list[Tree]:
    off = (("VETERAN_CARE_MESSAGES_WORKER_IN_SERVE", "false"),)
    sms = (("VETERAN_CARE_SMS_PROVIDER", "generic"), ("VETERAN_CARE_SMS_URL", gateway.url))
    in_serve = (("VETERAN_CARE_MESSAGES_WORKER_IN_SERVE", "true"), *sms)
    return [
        Tree("messages-off", None, own.bin, own.bench, off),
        Tree(WORKER, None, own.bin, own.bench, off),
        Tree("messages-in-serve", None, own.bin, own.bench, in_serve),
    ]


@contextlib.contextmanager
def worker_for(
    tree: Tree, database_url: str, gateway: Gateway | None, workdir: Path
) -> Iterator[None]:
    """A ``veteran-care worker`` beside the server for the ``messages-worker`` turns (it
    inherits this script's CPU, the load generator's)."""
    if tree.name != WORKER or gateway is None:
        yield
        return
    folder = workdir / f"worker-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    default_poll = {"VETERAN_CARE_MESSAGES_POLL_SECONDS": "1.0"}  # as the server's
    worker = WorkerProcess(database_url, gateway.url, folder, **default_poll).start()
    try:
        yield
    finally:
        worker.stop()


def phone(serial: int) -> str:
    return f"09{serial:08d}"


def consent_row(person_id: uuid.UUID) -> dict[str, Any]:
    return {
        "beneficiary_id": person_id,
        "status": ConsentStatus.given,
        "decided_on": today(),
        "channel": ContactChannel.sms,
        "recorded_at": datetime.now(UTC),
    }


async def cancel_backlog(database_url: str) -> None:
    dsn = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute(CANCEL_BACKLOG)
    finally:
        await connection.close()
