"""The real-server fixtures of the scheduling concurrency tests, for the idempotency races."""

from tests.scheduling.test_concurrency import api, fresh_database_url, server  # noqa: F401
