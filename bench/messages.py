"""Messages dispatched to a local gateway stand-in: N messages due at once, sent by K workers
(`veteran-care worker` processes), timed from the first start to the last message sent.

    .venv/bin/python bench/messages.py --count 10000 --workers 1
    .venv/bin/python bench/messages.py --count 10000 --workers 2 \
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

SQLite by default (a file in a temporary folder); with ``--url`` a PostgreSQL server, on which
the benchmark creates and drops its own database. Prints the time, the rate, and what the
gateway received (requests, distinct message ids)."""

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import _pg_execute
from tests.messaging.gateway import Gateway, wait_for
from tests.messaging.worker_process import WorkerProcess, seed, statuses

from veteran_care import migrate
from veteran_care.models import MessageStatus


def run(url: str, count: int, workers: int, folder: Path, concurrency: int) -> None:
    migrate.upgrade(url)
    started = time.perf_counter()
    seed(url, count)
    print(f"seeded {count} messages in {time.perf_counter() - started:.1f} s")
    gateway = Gateway().start()
    folders = [folder / f"w{n}" for n in range(workers)]
    processes = []
    try:
        started = time.perf_counter()
        for f in folders:
            f.mkdir()
            env = {"VETERAN_CARE_MESSAGES_CONCURRENCY": str(concurrency)}
            processes.append(WorkerProcess(url, gateway.url, f, **env).start())
        done = wait_for(lambda: len(gateway.accepted) >= count, 600) and wait_for(
            lambda: statuses(url).get(MessageStatus.sent, 0) == count, 60
        )
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.stop()
        gateway.stop()
    ids = gateway.delivered()
    print(
        f"{workers} worker(s): {'all sent' if done else 'NOT all sent'} in {elapsed:.1f} s "
        f"({count / elapsed:.0f}/s, worker start included); gateway asked {len(gateway.received)}"
        f" times for {len(ids)} distinct messages"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="sends at once per worker (the stand-in, a threaded server, slows past a few)",
    )
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.url is None:
            run(
                f"sqlite+aiosqlite:///{folder / 'bench.db'}",
                args.count,
                args.workers,
                folder,
                args.concurrency,
            )
            return
        name = f"vc_bench_messages_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_execute(args.url, f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
            run(url, args.count, args.workers, folder, args.concurrency)
        finally:
            asyncio.run(_pg_execute(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
