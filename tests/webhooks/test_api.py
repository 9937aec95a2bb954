"""Registering other systems: the secret shown once, changes under If-Match, input refused
with 4xx, admins only."""

from typing import Any

import httpx
import pytest

from tests.webhooks.conftest import SUBSCRIPTIONS, subscribe
from veteran_care.models import Role
from veteran_care.webhooks.signing import new_secret


async def test_a_generated_secret_is_shown_once(client: httpx.AsyncClient) -> None:
    created = await subscribe(
        client, "https://his.example.vn/hooks", events=["checkup.booked"], description="HIS"
    )
    assert created["secret"].startswith("whsec_")
    assert created["personal_data"] is False
    assert created["active"] is True
    read = await client.get(f"{SUBSCRIPTIONS}/{created['id']}")
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert read.json()["events"] == ["checkup.booked"]
    listed = await client.get(SUBSCRIPTIONS)
    assert [s["id"] for s in listed.json()] == [created["id"]]
    assert "secret" not in listed.json()[0]


async def test_a_given_secret_is_kept(client: httpx.AsyncClient) -> None:
    secret = new_secret()
    created = await subscribe(client, "http://127.0.0.1:9/x", secret=secret)
    assert created["secret"] == secret


async def test_a_change_needs_the_etag_and_a_removal_ends_it(client: httpx.AsyncClient) -> None:
    created = await subscribe(client, "https://his.example.vn/hooks")
    path = f"{SUBSCRIPTIONS}/{created['id']}"
    change = {"events": ["beneficiary.updated"], "personal_data": True}
    assert (await client.patch(path, json=change)).status_code == 428
    stale = await client.patch(path, json=change, headers={"If-Match": '"99"'})
    assert stale.status_code == 412
    etag = (await client.get(path)).headers["ETag"]
    changed = await client.patch(path, json=change, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["beneficiary.updated"]
    assert changed.json()["personal_data"] is True
    assert changed.headers["ETag"] != etag
    assert (await client.delete(path)).status_code == 204
    assert (await client.get(path)).status_code == 404
    assert (await client.get(f"{path}/deliveries")).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://files.example.vn/x"}, "url"),
        ({"url": "https://user:pass@his.example.vn/x"}, "url"),
        ({"url": "https://his.example.vn/x#part"}, "url"),
        ({"url": "http://his.example.vn:99999/x"}, "url"),
        ({"url": "https://his.example.vn/hooks/>"}, "url"),  # not a URI (schemathesis found it)
        ({"url": "https://his.example.vn/hooks/%zz"}, "url"),
        ({"events": ["checkup.deleted"]}, "events"),
        ({"events": []}, "events"),
        ({"events": ["checkup.booked", "checkup.booked"]}, "events"),
        ({"secret": "whsec_tooshort"}, "secret"),
        ({"secret": "not-a-secret-at-all-but-long-enough-for-it"}, "secret"),
        ({"personal_data": "yes"}, "personal_data"),
    ],
)
async def test_bad_input_is_refused(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    body = {"url": "https://his.example.vn/hooks", "events": ["checkup.booked"], **change}
    response = await client.post(SUBSCRIPTIONS, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert (await client.get(SUBSCRIPTIONS)).json() == []


async def test_only_admins_manage_subscriptions(client_for: Any) -> None:
    scheduler = await client_for(Role.scheduler)
    body = {"url": "https://his.example.vn/hooks", "events": ["checkup.booked"]}
    assert (await scheduler.post(SUBSCRIPTIONS, json=body)).status_code == 403
    assert (await scheduler.get(SUBSCRIPTIONS)).status_code == 403
