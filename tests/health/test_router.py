import httpx

from veteran_care.errors import PROBLEM_MEDIA_TYPE


async def test_healthz_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_schema_at_head(client: httpx.AsyncClient, app) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["schema_revision"] == sorted(app.state.schema_heads)


async def test_readyz_is_not_ready_when_migrations_are_pending(
    client: httpx.AsyncClient, app
) -> None:
    app.state.schema_heads = {"a-newer-revision"}
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["retry-after"]
    assert response.json()["expected_revision"] == ["a-newer-revision"]
