"""Facilities: create, read, list, update with If-Match, unique code."""

import httpx

from tests.factories import create_facility
from tests.test_conventions import assert_problem

URL = "/api/v1/facilities"


async def test_create_read_and_list(client: httpx.AsyncClient) -> None:
    created = await create_facility(
        client, code="11099", name="Trung tâm Y tế Điện Biên Đông", level="regional-medical-centre"
    )
    read = await client.get(f"{URL}/{created['id']}")
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert read.json() == created
    listed = await client.get(URL, params={"level": "regional-medical-centre", "limit": 200})
    assert created["id"] in [f["id"] for f in listed.json()["items"]]


async def test_duplicate_code_is_409_with_existing_id(client: httpx.AsyncClient) -> None:
    first = await create_facility(client, code="11098")
    response = await client.post(
        URL, json={"code": "11098", "name": "Khác", "level": "military-hospital"}
    )
    body = assert_problem(response, 409, "duplicate")
    assert body["existing_id"] == first["id"]


async def test_unknown_commune_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        URL,
        json={"code": "11097", "name": "X", "level": "military-hospital", "commune_code": "00001"},
    )
    body = assert_problem(response, 422, "unknown-code")
    assert body["field"] == "commune_code"


async def test_unknown_level_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json={"code": "11096", "name": "X", "level": "spa"})
    assert_problem(response, 422, "validation-error")


async def test_deactivate_with_if_match(client: httpx.AsyncClient) -> None:
    facility = await create_facility(client)
    url = f"{URL}/{facility['id']}"
    assert_problem(await client.patch(url, json={"active": False}), 428)
    response = await client.patch(url, json={"active": False}, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert response.headers["etag"] == '"2"'
    assert_problem(await client.patch(url, json={"name": "Y"}, headers={"If-Match": '"1"'}), 412)
    inactive = await client.get(URL, params={"active": False, "limit": 200})
    assert facility["id"] in [f["id"] for f in inactive.json()["items"]]


async def test_code_cannot_be_nulled(client: httpx.AsyncClient) -> None:
    facility = await create_facility(client)
    response = await client.patch(
        f"{URL}/{facility['id']}", json={"code": None}, headers={"If-Match": '"1"'}
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "body.code"


async def test_pages_by_code(client: httpx.AsyncClient) -> None:
    for i in range(5):
        await create_facility(client, code=f"P{i:04d}")
    seen = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2, "sort": "code"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(URL, params=params)).json()
        seen += [f["code"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen))
    assert {f"P{i:04d}" for i in range(5)} <= set(seen)
