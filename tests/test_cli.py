"""The command line: migrate and seed-demo against a fresh SQLite file."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veteran_care.cli import app
from veteran_care.config import get_settings


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
