"""Errors that mean "the database connection is gone" are 503 problem+json with Retry-After,
whatever the driver calls them; a database error that is not about the connection stays 500."""

from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from sqlalchemy import exc as sa_exc

from veteran_care.db import driver_errors


class _BareClientError(Exception):
    """Like asyncpg's InternalClientError on a connection closed mid-statement: no SQLSTATE."""


def _raiser(error: Exception) -> Any:
    async def route() -> None:
        raise error

    return route


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (sa_exc.DBAPIError("SELECT 1", {}, _BareClientError(), connection_invalidated=True), 503),
        (sa_exc.OperationalError("SELECT 1", {}, _BareClientError()), 503),
        (sa_exc.InterfaceError("SELECT 1", {}, _BareClientError()), 503),
        (ConnectionRefusedError(111, "refused"), 503),
        (TimeoutError(), 503),
        (sa_exc.DBAPIError("SELECT 1", {}, _BareClientError()), 500),
    ],
    ids=["invalidated", "operational", "interface", "refused", "timeout", "other"],
)
async def test_lost_connection_is_503_with_retry_after(
    app: Any, error: Exception, status: int
) -> None:
    app.add_api_route("/test/db-error", _raiser(error), methods=["GET"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/test/db-error")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    if status == 503:
        assert response.json()["code"] == "database-unavailable"
        assert response.headers["retry-after"] == "5"
    assert "SELECT" not in response.text


class _ClosedDriver:
    def is_closed(self) -> bool:
        return True


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.InternalClientError("another operation is in progress"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        ConnectionResetError(104, "reset"),
    ],
    ids=["internal-client", "does-not-exist", "reset"],
)
def test_errors_of_calls_sent_to_the_driver_directly_are_database_errors(error: Exception) -> None:
    """The audit chain's one-message commit and the WAL-flush wait bypass SQLAlchemy: their
    driver errors are raised as SQLAlchemy's, which the handlers above answer with 503 (a bare
    InternalClientError from the flush wait was a 500 while a database stopped under load)."""
    with pytest.raises(sa_exc.DBAPIError) as raised, driver_errors("SELECT 1", _ClosedDriver()):
        raise error
    assert raised.value.orig is error
    assert raised.value.connection_invalidated


def test_a_timeout_of_a_call_sent_to_the_driver_directly_stays_a_timeout() -> None:
    """asyncpg's command_timeout on a connection that stays open: raised as it is, which the
    handlers answer with 503 (``timeout`` above), as for a statement sent through SQLAlchemy;
    wrapped, it would be a database error that is not about the connection: a 500."""

    class _OpenDriver:
        def is_closed(self) -> bool:
            return False

    with pytest.raises(TimeoutError), driver_errors("SELECT 1", _OpenDriver()):
        raise TimeoutError()
