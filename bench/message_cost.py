"""CPU per message sent: the dispatcher in this process, the gateway stand-in in another.

    .venv/bin/python bench/message_cost.py --count 2000 --runs 3
    .venv/bin/python bench/message_cost.py --count 2000 --profile 25
    PYTHONPATH=../main/src .venv/bin/python bench/message_cost.py   # another tree's code

Seeds ``--count`` confirmations due now (the fault tests' seed, SQLite in a temporary folder,
or ``--url`` a PostgreSQL server on which a database is made and dropped), then runs dispatcher
rounds in this process until a round finds nothing, and reports this process's CPU time
(``time.process_time``: every thread, aiosqlite's included) per message sent. The gateway
stand-in of the tests runs in a child process, so that its CPU is not counted: what is
measured is the dispatcher's own work (claim, decide, send, record). ``--profile N`` runs the
last run under cProfile and prints the N functions of most cumulative time. ``--loop uvloop``
runs the dispatcher on uvloop, as ``serve`` does when it is installed (``veteran-care worker`` runs
on asyncio's own loop). ``--logs`` logs as ``veteran-care worker`` does (the settings' level, INFO,
and format; the lines to /dev/null); without it nothing is logged. Wall-clock figures on the shared
machine are noise; compare CPU per message, runs of two trees taking turns.
"""

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import _pg_execute
from tests.messaging.worker_process import seed, settings_for, statuses

from veteran_care import migrate
from veteran_care.config import Settings, SmsProvider
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.messaging import dispatcher
from veteran_care.models import MessageStatus


def _gateway(pipe: Any, stop: Any) -> None:
    from tests.messaging.gateway import Gateway

    gateway = Gateway().start()
    pipe.send(gateway.url)
    stop.wait()
    gateway.stop()


async def _rounds(settings: Settings) -> int:
    """Dispatcher rounds until one finds nothing; answers how many rounds there were."""
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    rounds = 0
    try:
        if hasattr(dispatcher, "http_client"):  # a tree before the move to aiohttp
            async with dispatcher.http_client(settings) as client:
                worker = dispatcher.Dispatcher(sessionmaker, settings, client, name="bench")
                while await worker.round():
                    rounds += 1
        else:
            async with dispatcher.opened(sessionmaker, settings, name="bench") as worker:
                while await worker.round():
                    rounds += 1
    finally:
        await engine.dispose()
    return rounds


def _run(settings: Settings, loop: str) -> int:
    if loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(_rounds(settings))
    return asyncio.run(_rounds(settings))


def _log_as_the_worker(settings: Settings) -> None:
    from veteran_care.web.logs import configure_logging

    sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (the handler's stream, to the end)
    configure_logging(settings)


def one_run(url: str, gateway_url: str, count: int, profile: int, loop: str, logs: bool) -> float:
    seed(url, count)
    settings = settings_for(url).model_copy(
        update={
            "sms_provider": SmsProvider.generic,
            "sms_url": gateway_url,
            "messages_concurrency": 4,
        }
    )
    if logs:
        _log_as_the_worker(settings)
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    rounds = _run(settings, loop)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    sent = statuses(url).get(MessageStatus.sent, 0)
    print(
        f"{count} messages, {sent} sent in all so far, {rounds} rounds: "
        f"{cpu / count * 1e6:,.0f} µs CPU a message ({cpu:.2f} s CPU, {wall:.2f} s wall)"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)
    return cpu / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="cProfile the last run: top N")
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--logs", action="store_true", help="log as the worker does")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    stop = context.Event()
    child = context.Process(target=_gateway, args=(there, stop), daemon=True)
    child.start()
    gateway_url = here.recv()
    with tempfile.TemporaryDirectory() as tmp:
        if args.url is None:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        else:
            name = f"vc_bench_cost_{uuid.uuid4().hex[:8]}"
            asyncio.run(_pg_execute(args.url, f'CREATE DATABASE "{name}"'))
            url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
        try:
            migrate.upgrade(url)
            costs = [
                one_run(
                    url,
                    gateway_url,
                    args.count,
                    args.profile if n == args.runs - 1 else 0,
                    args.loop,
                    args.logs,
                )
                for n in range(args.runs)
            ]
        finally:
            if args.url is not None:
                asyncio.run(_pg_execute(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            stop.set()
            child.join(10)
    costs.sort()
    print(f"median: {costs[len(costs) // 2] * 1e6:,.0f} µs CPU a message")


if __name__ == "__main__":
    main()
