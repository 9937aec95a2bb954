import pytest

from tests.reports.test_officer_files import year_of_checks  # noqa: F401
from tests.reports.test_reports import dataset  # noqa: F401
from veteran_care.config import Settings


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    """The department files its reports in Vietnamese, the deployment's default; the tests of
    English ask for it with Accept-Language."""
    return settings.model_copy(update={"default_language": "vi"})
