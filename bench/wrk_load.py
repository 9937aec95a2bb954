"""``wrk`` as the load generator of the benchmarks: run it pinned to a core and read its figures.

wrk (C, one thread, event loop) sends a request for a few microseconds of its own CPU, so the
figures are the server's; an httpx client spends about a millisecond per request and caps a
measurement near a thousand requests per second on its core.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    errors: int
    non_2xx: int
    requests: int


def milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def require() -> None:
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (apt-get install wrk util-linux)")


def run(arguments: list[str], *, connections: int, seconds: float, cpu: int = 1) -> Result:
    """``wrk`` with one thread and ``connections`` connections for ``seconds``, pinned to
    ``cpu``, with a 5 s timeout; ``arguments``: headers, script, URL and the script's own."""
    command = [
        "taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s",
        "--latency", "--timeout", "5s", *arguments,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"\s99%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = sum(int(n) for n in socket.groups()) if socket else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(
        rps,
        milliseconds(p50),
        milliseconds(p99),
        errors,
        int(non_2xx[1]) if non_2xx else 0,
        requests,
    )


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system, all threads) process ``pid`` has used so far: read before and
    after a load, the server's CPU per request, a figure that other load on a shared machine
    moves much less than the throughput."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
