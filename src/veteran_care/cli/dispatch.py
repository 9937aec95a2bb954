"""veteran-care worker: the message dispatcher and the webhook deliverer as a process of its
own."""

import asyncio
import signal

from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.messaging.dispatcher import run_worker
from veteran_care.webhooks.deliverer import run_deliverer


def run(settings: Settings) -> None:
    """Dispatch until SIGTERM or SIGINT; the round under way finishes first."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        engine = create_engine(settings)
        try:
            sessionmaker = create_sessionmaker(engine)
            await asyncio.gather(
                run_worker(sessionmaker, settings, stop),
                run_deliverer(sessionmaker, settings, stop),
            )
        finally:
            await engine.dispose()

    asyncio.run(main())
