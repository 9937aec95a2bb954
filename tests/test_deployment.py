"""What docker-compose.yml, the Dockerfile and .dockerignore do (issue 29), checked without a
Docker daemon: the compose file's environment built as Compose interpolates it and used to
connect to a PostgreSQL that checks passwords; the image's HEALTHCHECK run against a server;
the build context as Docker computes it; the lock the image installs from."""

import asyncio
import os
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from docker.utils.build import exclude_paths
from packaging.requirements import Requirement
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.faults.database import free_port, private_postgresql
from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine

ROOT = Path(__file__).parents[1]
PASSWORD = "p@ss:w/rd%#?&=$x 'q\""  # every character a URL or a shell could trip on
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation of ``${NAME}``, ``${NAME:-default}``, ``${NAME:?error}`` (and
    the forms without the colon) and ``$NAME``; ``$$`` is a literal ``$``."""

    def one(match: re.Match[str]) -> str:
        name = match["name"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        found = env.get(name)
        empty = found is None or (found == "" and op is not None and op.startswith(":"))
        if op in ("-", ":-"):
            return arg if empty else str(found)
        if op in ("?", ":?") and empty:
            raise LookupError(f"{name}: {arg}")
        return found or ""

    parts = value.split("$$")
    return "$".join(VARIABLE.sub(one, part) for part in parts)


def compose_environment(service: str, env: Mapping[str, str]) -> dict[str, str]:
    config = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    raw = config["services"][service]["environment"]
    return {name: interpolate(str(value), env) for name, value in raw.items()}


SHELL = {
    "POSTGRES_PASSWORD": PASSWORD,
    "VETERAN_CARE_SECRET_KEY": "k" * 48,
    "VETERAN_CARE_ADMIN_PASSWORD": "first-admin-" + "a" * 12,
}


async def _logins(admin_url: str, user: str, password: str, database: str) -> None:
    """What the postgres image's entrypoint does with POSTGRES_USER/PASSWORD/DB."""
    connection = await asyncpg.connect(
        make_url(admin_url).set(drivername="postgresql").render_as_string()
    )
    try:
        await connection.execute(
            f"CREATE ROLE {user} LOGIN PASSWORD " + "'" + password.replace("'", "''") + "'"
        )
        await connection.execute(f"CREATE DATABASE {database} OWNER {user}")
    finally:
        await connection.close()


async def _whoami(settings: Settings) -> tuple[str, str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT current_user, current_database()"))).one()
            return str(row[0]), str(row[1])
    finally:
        await engine.dispose()


def test_compose_connects_with_any_password(monkeypatch: pytest.MonkeyPatch) -> None:
    db = compose_environment("db", SHELL)
    api = compose_environment("api", SHELL)
    assert db["POSTGRES_PASSWORD"] == PASSWORD
    url = make_url(api["VETERAN_CARE_DATABASE_URL"])  # as the container reads it
    assert (url.host, url.port) == ("db", 5432), "the password broke the URL"
    assert (url.username, url.database) == (db["POSTGRES_USER"], db["POSTGRES_DB"])

    with private_postgresql(passwords=True) as server:
        asyncio.run(_logins(server.url, db["POSTGRES_USER"], PASSWORD, db["POSTGRES_DB"]))
        local = url.set(host="127.0.0.1", port=server.port)  # `db` is Compose's host name
        for name, value in api.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("VETERAN_CARE_DATABASE_URL", local.render_as_string(False))
        settings = Settings()
        assert asyncio.run(_whoami(settings)) == (db["POSTGRES_USER"], db["POSTGRES_DB"])
        migrate.upgrade(settings.effective_database_url)  # what `serve` does first

        monkeypatch.setenv("PGPASSWORD", "not-the-password")  # the server does check it
        with pytest.raises(DBAPIError, match="password authentication failed"):
            asyncio.run(_whoami(Settings()))


def test_compose_passes_the_first_admins_password() -> None:
    api = compose_environment("api", SHELL)
    assert api["VETERAN_CARE_ADMIN_PASSWORD"] == SHELL["VETERAN_CARE_ADMIN_PASSWORD"]
    unset = compose_environment("api", {**SHELL, "VETERAN_CARE_ADMIN_PASSWORD": ""})
    assert unset["VETERAN_CARE_ADMIN_PASSWORD"] == ""  # then a Docker secret, or generated


def test_compose_sends_messages_from_one_worker_not_from_each_api_process() -> None:
    """The API runs two server processes; without a worker service each would run a
    dispatcher beside the requests. The worker reads the same database with the same
    settings, and starts once the API has migrated it."""
    config = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    worker = config["services"]["worker"]
    assert worker["command"] == ["veteran-care", "worker"]
    assert worker["depends_on"]["api"]["condition"] == "service_healthy"
    assert compose_environment("worker", SHELL) == compose_environment("api", SHELL)
    api = compose_environment("api", SHELL)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in api.items():
            patch.setenv(name, value)
        assert Settings().messages_worker_in_serve is False


# The image ------------------------------------------------------------------------------------


def _healthcheck_command() -> str:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(x for x in dockerfile.splitlines() if x.startswith("HEALTHCHECK"))
    return line.split(" CMD ", 1)[1].strip()


@pytest.fixture
def readyz() -> Iterator[tuple[int, list[int]]]:
    """A server on a free port whose /readyz answers the status at the head of the list."""
    statuses = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(statuses[0] if self.path == "/readyz" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], statuses
    finally:
        server.shutdown()
        server.server_close()


def test_the_healthcheck_asks_the_port_the_server_listens_on(
    readyz: tuple[int, list[int]],
) -> None:
    port, statuses = readyz
    command = _healthcheck_command()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "VETERAN_CARE_PORT": str(port),
    }

    def health() -> int:
        return subprocess.run(["sh", "-c", command], env=env, capture_output=True).returncode

    assert health() == 0
    statuses[0] = 503
    assert health() != 0


def test_the_build_context_is_what_the_image_copies(tmp_path: Path) -> None:
    """The context Docker sends, computed by docker-py with Docker's .dockerignore rules on a
    tree shaped like a developer's checkout."""
    for name in (
        ".git/HEAD",
        ".venv/bin/python",
        "data/veteran_care.db",
        "backups/2027-07-27.dump",
        ".env",
        "clients/typescript/node_modules/x/index.js",
        "src/veteran_care/__pycache__/main.cpython-311.pyc",
        "src/veteran_care/main.py",
        "migrations/env.py",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    ]
    for name in copied:
        if not (tmp_path / name).exists():
            (tmp_path / name).write_text("x", encoding="utf-8")
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sent = set(exclude_paths(str(tmp_path), patterns))
    assert {"src/veteran_care/main.py", "migrations/env.py", *copied} <= sent
    leaked = {
        p
        for p in sent
        if p.split("/")[0] in {".git", ".venv", "data", "backups", ".env", "clients"}
    }
    assert leaked == set()
    assert not any("__pycache__" in p for p in sent)


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of requirements.lock."""
    found: dict[str, tuple[str, int]] = {}
    name = ""
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        pin = re.match(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", line)
        if pin:
            name = pin[1].lower().replace("_", "-")
            found[name] = (pin[2], 0)
        elif "--hash=sha256:" in line and name:
            version, hashes = found[name]
            found[name] = (version, hashes + 1)
    return found


def test_the_image_installs_a_lock_of_every_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    locked = _locked()
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]
    for requirement in wanted:
        name = requirement.name.lower().replace("_", "-")
        assert name in locked, f"{name} is not in requirements.lock"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version), f"{name}=={version} vs {requirement}"
        assert hashes > 0, f"{name} has no hash"
    assert all(hashes > 0 for _, hashes in locked.values())
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "pip install --no-deps --no-build-isolation ." in dockerfile
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    bases += re.findall(r"image: (\S+)", compose)
    for base in bases:  # an exact version (x.y.z or x.y) or a digest, never a moving tag
        assert "@sha256:" in base or re.search(r":\d+\.\d+[\w.-]*$", base), base
        assert not re.search(r":\d+(-[a-z]+)*$", base), base
