"""The real-server fixtures of the scheduling concurrency tests, for the generated client."""

from tests.scheduling.test_concurrency import fresh_database_url, server  # noqa: F401
