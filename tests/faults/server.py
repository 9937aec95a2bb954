"""`veteran-care serve` as a child process that a test may kill with SIGKILL and start again."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.faults.database import free_port

ADMIN_PASSWORD = "fault-test-" + "p" * 16
READY_SECONDS = 60


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class ServerProcess:
    """One uvicorn (a single worker: the process *is* the server) on 127.0.0.1, on a port that
    stays the same across restarts, against ``database_url``."""

    def __init__(self, database_url: str, workdir: Path, **env: str) -> None:
        command = shutil.which("veteran-care", path=str(Path(sys.executable).parent))
        assert command, "the veteran-care script is not installed next to this Python"
        self.command = command
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.env = {
            **os.environ,
            "VETERAN_CARE_DATABASE_URL": database_url,
            "VETERAN_CARE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "VETERAN_CARE_ENVIRONMENT": "test",
            "VETERAN_CARE_SECRET_KEY": TEST_SECRET,
            "VETERAN_CARE_DATA_DIR": str(workdir),
            "VETERAN_CARE_LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, *, migrate: bool = True) -> float:
        """Start and wait for /readyz; returns the seconds it took."""
        assert self.process is None or self.process.poll() is not None
        started = time.perf_counter()
        args = [self.command, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not migrate:
            args.append("--no-migrate")
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start {self.starts + 1} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                args, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1
        deadline = time.monotonic() + READY_SECONDS
        with httpx.Client(base_url=self.base_url, timeout=2) as probe:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"the server exited with {self.process.returncode}:\n{self.tail()}")
                try:
                    if probe.get("/readyz").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        pytest.fail(f"the server was not ready within {READY_SECONDS} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye; this process only."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def tail(self) -> str:
        return _tail(self.log_path)

    def tracebacks(self) -> int:
        return self.log_path.read_text(errors="replace").count("Traceback")

    def token(self) -> str:
        response = httpx.post(
            f"{self.base_url}/api/v1/auth/token",
            data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token
