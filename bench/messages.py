"""Messages dispatched to a local gateway stand-in: N messages due at once, sent by K workers
(`veteran-care worker` processes), timed from the first start to the last message sent.

    .venv/bin/python bench/messages.py --count 10000 --workers 1 --reminders
    .venv/bin/python bench/messages.py --count 10000 --workers 1
    .venv/bin/python bench/messages.py --count 10000 --workers 2 \
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

SQLite by default (a file in a temporary folder); with ``--url`` a PostgreSQL server, on which
the benchmark creates and drops its own database. Prints the time, the rate, and what the
gateway received (requests, distinct message ids), and the workers' CPU time (from /proc: the
figure to compare on a shared machine).

With ``--reminders``, the issue's case: N people (each with a phone and consent) each have a
checkup 7 days ahead, booked a month ago, and no message yet; the worker's first round writes
the N early reminders that fell due and sends them. Without it, N confirmations about one person
are already in the outbox (the fault tests' seed)."""

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import _pg_execute
from tests.messaging.gateway import Gateway, wait_for
from tests.messaging.worker_process import WorkerProcess, seed, settings_for, statuses

from veteran_care import migrate
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.kit.clock import today, utcnow
from veteran_care.models import (
    Beneficiary,
    Checkup,
    ConsentStatus,
    ContactChannel,
    ContactConsent,
    Facility,
    FacilityLevel,
    MessageStatus,
    Sex,
)


def seed_reminders(url: str, count: int) -> None:
    """``count`` people with a phone and consent, each with a checkup 7 days ahead booked a
    month ago: ``count`` early reminders fall due at the worker's first round."""

    async def go() -> None:
        engine = create_engine(settings_for(url))
        try:
            async with create_sessionmaker(engine).begin() as session:
                facility = Facility(
                    code="F" + uuid.uuid4().hex[:6],
                    name="Trung tâm Y tế huyện Mường Chà",
                    level=FacilityLevel.regional_medical_centre,
                )
                session.add(facility)
                await session.flush()
                people = [uuid.uuid4() for _ in range(count)]
                booked = utcnow() - timedelta(days=30)
                await session.execute(
                    insert(Beneficiary), [_person(i, n) for n, i in enumerate(people)]
                )
                await session.execute(
                    insert(ContactConsent),
                    [
                        {
                            "beneficiary_id": i,
                            "status": ConsentStatus.given,
                            "decided_on": today() - timedelta(days=30),
                            "channel": ContactChannel.sms,
                            "recorded_at": booked,
                        }
                        for i in people
                    ],
                )
                await session.execute(
                    insert(Checkup),
                    [
                        {
                            "beneficiary_id": i,
                            "facility_id": facility.id,
                            "date": today() + timedelta(days=7),
                            "created_at": booked,
                            "updated_at": booked,
                        }
                        for i in people
                    ],
                )
        finally:
            await engine.dispose()

    asyncio.run(go())


def _person(person_id: uuid.UUID, n: int) -> dict[str, object]:
    return {
        "id": person_id,
        "full_name": f"Lò Văn Pọm {n}",
        "name_search": f"lo van pom {n}",
        "birth_year": 1950,
        "sex": Sex.male,
        "ethnicity_code": "03",
        "phone": f"09{n:08d}",
    }


def run(
    url: str, count: int, workers: int, folder: Path, concurrency: int, reminders: bool
) -> None:
    migrate.upgrade(url)
    started = time.perf_counter()
    (seed_reminders if reminders else seed)(url, count)
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
        cpu = sum(process.cpu_seconds() for process in processes)
    finally:
        for process in processes:
            process.stop()
        gateway.stop()
    ids = gateway.delivered()
    print(
        f"{workers} worker(s): {'all sent' if done else 'NOT all sent'} in {elapsed:.1f} s "
        f"({count / elapsed:.0f}/s, worker start included); gateway asked {len(gateway.received)}"
        f" times for {len(ids)} distinct messages; the workers' CPU {cpu:.1f} s"
        f" ({cpu / count * 1e6:,.0f} µs a message, start-up and the reminders' writing included)"
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
    parser.add_argument(
        "--reminders", action="store_true", help="N reminders falling due, one person each"
    )
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
                args.reminders,
            )
            return
        name = f"vc_bench_messages_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_execute(args.url, f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
            run(url, args.count, args.workers, folder, args.concurrency, args.reminders)
        finally:
            asyncio.run(_pg_execute(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
