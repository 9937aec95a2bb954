"""The command line: migrate and seed-demo against a fresh SQLite file."""

import asyncio
import gc
import uuid
import weakref
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select
from typer.testing import CliRunner

from veteran_care.cli import app
from veteran_care.config import get_settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.main import create_served_app
from veteran_care.models import IdempotencyKey, IdempotencyState


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VETERAN_CARE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VETERAN_CARE_DATABASE_URL", raising=False)
    monkeypatch.setenv("VETERAN_CARE_ENVIRONMENT", "development")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_migrate_then_seed_demo_is_idempotent(sqlite_env: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert (sqlite_env / "veteran_care.db").exists()
    first = runner.invoke(app, ["seed-demo", "--count", "20"])
    assert first.exit_code == 0, first.output
    assert "20 beneficiaries" in first.output
    second = runner.invoke(app, ["seed-demo", "--count", "20"])
    assert "nothing added" in second.output


def test_demo_data_is_refused_in_production(
    sqlite_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VETERAN_CARE_ENVIRONMENT", "production")
    monkeypatch.setenv("VETERAN_CARE_SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["seed-demo"])
    assert result.exit_code == 2
    assert "Refusing" in result.output


def test_placeholder_secret_in_production_stops_the_cli(
    sqlite_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VETERAN_CARE_ENVIRONMENT", "production")
    monkeypatch.delenv("VETERAN_CARE_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "placeholder" in result.output


def test_create_user_then_log_in_and_verify_the_audit_trail(sqlite_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "create-user",
            "--username",
            "hoang.van.nam",
            "--full-name",
            "Hoàng Văn Nam",
            "--role",
            "scheduler",
            "--role",
            "clinician",
            "--province-wide",
        ],
        input="a long password 2027\na long password 2027\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created user hoang.van.nam" in result.output
    assert "a long password" not in result.output
    duplicate = runner.invoke(
        app,
        [
            "create-user",
            "--username",
            "hoang.van.nam",
            "--full-name",
            "X",
            "--role",
            "admin",
            "--province-wide",
            "--password",
            "another long password",
        ],
    )
    assert duplicate.exit_code == 2
    assert "taken" in duplicate.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "intact: 1 rows checked" in verified.output


def test_create_user_refuses_a_short_password(sqlite_env: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["migrate"])
    result = runner.invoke(
        app,
        [
            "create-user",
            "--username",
            "short.pw",
            "--full-name",
            "X",
            "--role",
            "admin",
            "--province-wide",
            "--password",
            "short",
        ],
    )
    assert result.exit_code == 2
    assert "password" in result.output


def test_audit_verify_names_the_first_broken_row(sqlite_env: Path) -> None:
    import sqlite3

    runner = CliRunner()
    runner.invoke(app, ["seed-demo", "--count", "5"])
    db = sqlite3.connect(sqlite_env / "veteran_care.db")
    db.execute("DROP TRIGGER audit_events_no_update")
    db.execute("UPDATE audit_events SET detail = 'edited' WHERE id = 3")
    db.commit()
    db.close()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at row 3" in result.output


def test_serve_creates_the_first_admin_once(sqlite_env: Path) -> None:
    from veteran_care.cli import _first_admin, _migrate

    settings = get_settings()
    _migrate(settings)
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _first_admin(settings)
        _first_admin(settings)
    assert out.getvalue().count("Created the first admin account") == 1


async def _token(settings: Any, username: str, password: str) -> int:
    import httpx

    from veteran_care.main import create_app, use_engine

    application = create_app(settings)
    engine = create_engine(settings)
    use_engine(application, engine)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://test"
        ) as client:
            response = await client.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": username, "password": password},
            )
            return response.status_code
    finally:
        await engine.dispose()


def test_the_first_admins_password_may_be_a_docker_secret(
    sqlite_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compose passes VETERAN_CARE_ADMIN_PASSWORD empty when it is not set: then the Docker
    secret `veteran_care_admin_password` gives it, and `admin` logs in with it (issue 29)."""
    import contextlib
    import io

    from veteran_care import config
    from veteran_care.cli import _first_admin, _migrate

    secrets = sqlite_env / "secrets"
    secrets.mkdir()
    (secrets / "veteran_care_admin_password").write_text("from-a-docker-secret-27\n")
    monkeypatch.setattr(config, "DOCKER_SECRETS", secrets)
    monkeypatch.setenv("VETERAN_CARE_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("VETERAN_CARE_ADMIN_PASSWORD", "from-the-environment-27")
    get_settings.cache_clear()
    assert get_settings().admin_password == "from-the-environment-27", "the environment first"
    monkeypatch.setenv("VETERAN_CARE_ADMIN_PASSWORD", "")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.admin_password == "from-a-docker-secret-27"
    _migrate(settings)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _first_admin(settings)
    assert out.getvalue() == "", "nothing generated, nothing printed"
    assert asyncio.run(_token(settings, "admin", "from-a-docker-secret-27")) == 200
    assert asyncio.run(_token(settings, "admin", "from-the-environment-27")) == 400


def test_purge_idempotency_keys_deletes_only_expired_ones(sqlite_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    now = datetime.now(UTC)

    def row(key: str, expires_at: datetime) -> IdempotencyKey:
        return IdempotencyKey(
            principal_kind="user",
            principal_id=uuid.uuid4(),
            key=key,
            request_hash="0" * 64,
            operation="create_beneficiary",
            state=IdempotencyState.done,
            created_at=expires_at - timedelta(hours=24),
            expires_at=expires_at,
            status_code=201,
            response_headers={"content-type": "application/json"},
            response_body=b"{}",
        )

    async def keys(*rows: IdempotencyKey) -> list[str]:
        engine = create_engine(get_settings())
        try:
            async with create_sessionmaker(engine)() as session:
                session.add_all(rows)
                await session.commit()
                return sorted((await session.scalars(select(IdempotencyKey.key))).all())
        finally:
            await engine.dispose()

    before = asyncio.run(
        keys(row("old", now - timedelta(minutes=1)), row("new", now + timedelta(hours=1)))
    )
    assert before == ["new", "old"]
    result = runner.invoke(app, ["purge-idempotency-keys"])
    assert result.exit_code == 0, result.output
    assert "1 expired idempotency keys deleted." in result.output
    assert asyncio.run(keys()) == ["new"]


def test_serve_runs_the_served_app(sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: ran.update(options, app=target))
    result = CliRunner().invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert ran["app"] == "veteran_care.main:create_served_app"
    assert ran["factory"] is True
    assert ran["port"] == 8123


def test_the_served_app_hides_its_lasting_objects_from_the_collector() -> None:
    """The objects built with the app are frozen: a full collection no longer walks them
    (decision 0016). Objects made afterwards are collected as before."""
    gc.unfreeze()
    try:
        create_served_app()
        assert gc.get_freeze_count() > 50_000

        class Node:
            other: Any = None

        made_later = Node()
        made_later.other = made_later  # a cycle: only the collector frees it
        watched = weakref.ref(made_later)
        del made_later
        gc.collect()
        assert watched() is None
    finally:
        gc.unfreeze()


SLOW_WORKER_MAIN = """
import time

if __name__ == "__mp_main__":  # a worker process re-importing this script, as on a busy machine
    time.sleep(8)

from veteran_care.cli import app

if __name__ == "__main__":
    app()
"""


def test_workers_that_start_slowly_are_not_killed(sqlite_env: Path) -> None:
    """`serve --workers 2` where each worker takes 8 s to import (more than uvicorn's default
    health check of 5 s): both start and serve, none is killed and restarted (issue 29)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.faults.database import free_port

    script = sqlite_env / "slow_main.py"
    script.write_text(SLOW_WORKER_MAIN, encoding="utf-8")
    port = free_port()
    log = sqlite_env / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, str(script), "serve", "--workers", "2", "--port", str(port)],
            env={**os.environ, "VETERAN_CARE_ADMIN_PASSWORD": "slow-start-" + "p" * 12},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            answered = 0
            deadline = time.monotonic() + 45
            while answered < 4 and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                        answered += 1
                except OSError:
                    time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert answered == 4, output
    assert "died" not in output, output
    assert output.count("Application startup complete") == 2, output
