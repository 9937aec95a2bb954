from tests.reports.test_reports import dataset  # noqa: F401
