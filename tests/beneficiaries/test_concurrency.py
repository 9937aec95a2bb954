"""Desks registering the same person at the same moment, through a real uvicorn on 127.0.0.1:
one registration, and every other desk gets the 409 the README promises (`existing_id` names the
record that won), whatever the timing."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest

from tests.factories import beneficiary_payload, create_beneficiary
from tests.scheduling.test_concurrency import all_at_once, warm_up
from tests.test_conventions import assert_problem

pytestmark = pytest.mark.slow

DESKS = {"postgresql": 12, "sqlite": 6}
ROUNDS = 5


async def test_one_person_registered_at_many_desks_at_once(
    api: httpx.AsyncClient, backend: str
) -> None:
    desks = DESKS[backend]
    await warm_up(api, desks)
    for _ in range(ROUNDS):
        payload = beneficiary_payload()
        post = partial(api.post, "/api/v1/beneficiaries", json=payload)
        responses, _ = await all_at_once([post] * desks)
        created = [r for r in responses if r.status_code == 201]
        assert len(created) == 1, [r.text for r in responses]
        for refused in (r for r in responses if r.status_code != 201):
            body = assert_problem(refused, 409, "duplicate")
            assert body["existing_id"] == created[0].json()["id"], body
            assert body["fields"] in (["national_id"], ["bhxh_number"]), body


async def test_many_people_given_one_cccd_at_once(api: httpx.AsyncClient, backend: str) -> None:
    desks = DESKS[backend]
    await warm_up(api, desks)
    people = [(await create_beneficiary(api)) for _ in range(desks)]
    cccd = beneficiary_payload()["national_id"]

    def give(person: dict[str, Any]) -> Callable[[], Awaitable[httpx.Response]]:
        return partial(
            api.patch,
            f"/api/v1/beneficiaries/{person['id']}",
            json={"national_id": cccd},
            headers={"If-Match": f'"{person["version"]}"'},
        )

    responses, _ = await all_at_once([give(p) for p in people])
    updated = [r for r in responses if r.status_code == 200]
    assert len(updated) == 1, [r.text for r in responses]
    for refused in (r for r in responses if r.status_code != 200):
        body = assert_problem(refused, 409, "duplicate")
        assert body["existing_id"] == updated[0].json()["id"], body
        assert body["fields"] == ["national_id"], body
