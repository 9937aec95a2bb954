"""Errors that mean "the database connection is gone" are 503 problem+json with Retry-After,
whatever the driver calls them; a database error that is not about the connection stays 500."""

from typing import Any

import httpx
import pytest
from sqlalchemy import exc as sa_exc


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
