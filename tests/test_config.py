"""Settings: the placeholder secret is refused outside development; docs/configuration.md lists
them all."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from veteran_care.config import PLACEHOLDER_SECRET, Settings


def test_placeholder_secret_is_fine_in_development() -> None:
    assert Settings(environment="development").secret_key == PLACEHOLDER_SECRET


@pytest.mark.parametrize("environment", ["production", "test"])
def test_placeholder_secret_is_refused_elsewhere(environment: str) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(environment=environment, secret_key=PLACEHOLDER_SECRET)


def test_default_database_is_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=None)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'veteran_care.db'}"


def test_the_configuration_page_documents_every_setting() -> None:
    page = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`VETERAN_CARE_{name.upper()}`" in page, name
