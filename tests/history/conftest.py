from tests.scheduling.test_concurrency import api, fresh_database_url, server  # noqa: F401
