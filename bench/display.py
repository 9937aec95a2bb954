"""The waiting hall's display under busy desks: `veteran-care serve` in a child process, D
displays holding the event stream open (`/display/queue/events`), and the desks of L lines (the
four specialties of the periodic check) calling R numbers a second between them for S seconds
through the API, each desk at R/L a second (a call: the number before `served`, then
`call-next`, as staff do). Target (issue 26): the display keeps up with 10 calls a second.

    .venv/bin/python bench/display.py [--rate 10] [--seconds 20] [--lines 4] [--displays 2]
    .venv/bin/python bench/display.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

SQLite by default (a file in a temporary folder); with ``--url`` a PostgreSQL server, on which
the benchmark creates and drops its own database. For each display it prints how many events
came, how many of the numbers called it showed, and the lag from a call's answer to the event
that showed its number (p50, p99, max). The baseline in the same run is the desk's own round
trip (served + call-next): lag / round trip says what the display adds to what staff already
wait for. A number that is current for less time than a display takes to read the board (its
desk serves it and calls the next at once, when it is behind) may never be shown.
"""

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import _pg_execute
from tests.factories import beneficiary_payload
from tests.faults.server import ServerProcess

from veteran_care.kit import clock

SPECIALTIES = ("internal-medicine", "ultrasound", "electrocardiography", "ophthalmology")
EVERY_DAY = [
    {"weekday": d, "part_of_day": p} for d in range(1, 8) for p in ("morning", "afternoon")
]
SETUP_CONCURRENCY = 4


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _facility(
    api: httpx.AsyncClient, capacity: int, specialties: tuple[str, ...]
) -> dict[str, Any]:
    """A facility with lines of ``specialties`` every day, and today's sessions."""
    facility = _ok(
        await api.post(
            "/api/v1/facilities",
            json={
                "code": "B9001",
                "name": "Bệnh viện Đa khoa tỉnh Điện Biên",
                "level": "provincial-hospital",
                "commune_code": "03325",
            },
        )
    )
    for code in specialties:
        _ok(
            await api.post(
                f"/api/v1/facilities/{facility['id']}/services",
                json={
                    "specialty_code": code,
                    "timetable": EVERY_DAY,
                    "default_capacity": capacity,
                },
            )
        )
    today = clock.today().isoformat()  # the server's time zone, as the app counts days
    _ok(
        await api.post(
            "/api/v1/sessions/generate",
            json={"facility_id": facility["id"], "date_from": today, "date_to": today},
        )
    )
    return facility


async def _checked_in(
    api: httpx.AsyncClient, facility: dict[str, Any], specialties: tuple[str, ...], number: int
) -> list[str]:
    """One person booked this morning and checked in (a ticket in each line); the sessions."""
    person = _ok(
        await api.post(
            "/api/v1/beneficiaries", json=beneficiary_payload(full_name=f"Người thứ {number}")
        )
    )
    checkup = _ok(
        await api.post(
            "/api/v1/checkups",
            json={
                "beneficiary_id": person["id"],
                "facility_id": facility["id"],
                "date": clock.today().isoformat(),
                "specialty_codes": list(specialties),
                "part_of_day": "morning",
                "card_override_reason": "display benchmark",
            },
        )
    )
    _ok(await api.post(f"/api/v1/checkups/{checkup['id']}/check-in"))
    return sorted(a["session_id"] for a in checkup["appointments"])


async def _lines(
    api: httpx.AsyncClient, people: int, specialties: tuple[str, ...]
) -> tuple[dict[str, Any], list[str]]:
    """The facility and its lines (sessions) of this morning, ``people`` waiting in each."""
    facility = await _facility(api, people + 10, specialties)
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(number: int) -> tuple[str, ...]:
        async with gate:
            return tuple(await _checked_in(api, facility, specialties, number))

    sessions = set(await asyncio.gather(*(one(n) for n in range(people))))
    assert len(sessions) == 1, sessions
    return facility, list(sessions.pop())


class Display:
    """One screen's stream: when each number was first shown as the line's current one."""

    def __init__(self, base_url: str, code: str) -> None:
        self.url = f"{base_url}/display/queue/events"
        self.params = {"facility": code}
        self.events = 0
        self.shown: dict[tuple[str, int], float] = {}  # (session, number) -> first shown
        self.ready = asyncio.Event()

    async def watch(self) -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client,
            client.stream("GET", self.url, params=self.params) as stream,
        ):
            async for line in stream.aiter_lines():
                if not line.startswith("data: "):
                    continue
                seen = time.perf_counter()
                self.events += 1
                self.ready.set()
                for each in json.loads(line.removeprefix("data: "))["lines"]:
                    if each["current"] is not None:
                        self.shown.setdefault((each["session_id"], each["current"]), seen)


class Desk:
    """One line's desk: calls at ``rate`` a second, from ``started`` on."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.answered: dict[tuple[str, int], float] = {}  # (session, number) -> answered at
        self.round_trips: list[float] = []

    async def call(self, api: httpx.AsyncClient, rate: float, calls: int, started: float) -> None:
        previous: str | None = None
        for index in range(calls):
            await asyncio.sleep(max(started + index / rate - time.perf_counter(), 0))
            asked = time.perf_counter()
            if previous is not None:
                _ok(await api.post(f"/api/v1/queue-tickets/{previous}/served"))
            ticket = _ok(await api.post(f"/api/v1/sessions/{self.session_id}/queue/call-next"))
            answered = time.perf_counter()
            self.answered[(self.session_id, ticket["number"])] = answered
            self.round_trips.append(answered - asked)
            previous = ticket["id"]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


async def _measure(
    server: ServerProcess, rate: float, seconds: float, lines: int, displays: int
) -> None:
    headers = {"Authorization": f"Bearer {server.token()}"}
    per_line = int(rate * seconds / lines)
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as api:
        started = time.perf_counter()
        facility, sessions = await _lines(api, per_line + 5, SPECIALTIES[:lines])
        took = time.perf_counter() - started
        print(f"{per_line + 5} people checked in to {lines} lines in {took:.1f} s")
        screens = [Display(server.base_url, facility["code"]) for _ in range(displays)]
        watching = [asyncio.create_task(screen.watch()) for screen in screens]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in screens)), 30)
        desks = [Desk(session) for session in sessions]
        started = time.perf_counter()
        await asyncio.gather(*(d.call(api, rate / lines, per_line, started) for d in desks))
        took = time.perf_counter() - started
        await asyncio.sleep(2)  # the last look of the streams
        for task in watching:
            task.cancel()
    answered = {key: at for desk in desks for key, at in desk.answered.items()}
    round_trips = [trip for desk in desks for trip in desk.round_trips]
    calls = len(answered)
    trip50, trip99 = _quantile(round_trips, 0.5), _quantile(round_trips, 0.99)
    print(
        f"{lines} desks: {calls} calls in {took:.1f} s ({calls / took:.1f}/s, asked {rate:g}/s); "
        f"round trip (served + call-next) p50 {trip50 * 1000:.0f} ms, p99 {trip99 * 1000:.0f} ms"
    )
    for number, screen in enumerate(screens, start=1):
        lags = [screen.shown[key] - at for key, at in answered.items() if key in screen.shown]
        p50, p99 = _quantile(lags, 0.5), _quantile(lags, 0.99)
        print(
            f"display {number}: {screen.events} events, showed {len(lags)}/{calls} numbers "
            f"({len(lags) / calls:.2f}); lag after the answer p50 {p50 * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {max(lags, default=0) * 1000:.0f} ms, "
            f"mean {statistics.fmean(lags) * 1000 if lags else 0:.0f} ms; "
            f"lag / round trip p50 {p50 / trip50:.2f}, p99 {p99 / trip99:.2f}"
        )


def run(url: str, folder: Path, args: argparse.Namespace) -> None:
    server = ServerProcess(url, folder)
    server.start()
    try:
        asyncio.run(_measure(server, args.rate, args.seconds, args.lines, args.displays))
    finally:
        server.stop()
    if server.tracebacks():
        print(f"the server logged tracebacks:\n{server.tail()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="calls a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--lines", type=int, default=4, choices=range(1, 5), help="desks")
    parser.add_argument("--displays", type=int, default=2, help="screens holding the stream")
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.url is None:
            url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
            run(url, folder, args)
            return
        name = f"vc_bench_display_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_execute(args.url, f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
            run(url, folder, args)
        finally:
            asyncio.run(_pg_execute(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
