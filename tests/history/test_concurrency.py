"""One paper record entered at several desks at the same moment, through a real uvicorn on
127.0.0.1: one past check is recorded, and every other desk gets the 409 it would get a moment
later (`duplicate`, with the record that won as `existing_id`)."""

from functools import partial

import httpx
import pytest

from tests.factories import create_beneficiary
from tests.scheduling.test_concurrency import all_at_once, warm_up
from tests.test_conventions import assert_problem

pytestmark = pytest.mark.slow

DESKS = {"postgresql": 10, "sqlite": 5}
ROUNDS = 3


async def test_one_past_check_entered_at_many_desks_at_once(
    api: httpx.AsyncClient, backend: str
) -> None:
    desks = DESKS[backend]
    await warm_up(api, desks)
    for _ in range(ROUNDS):
        person = await create_beneficiary(api)
        post = partial(
            api.post,
            f"/api/v1/beneficiaries/{person['id']}/past-checks",
            json={"date": "2026-03-15", "place": "Bệnh viện tỉnh Lai Châu", "health_class": "II"},
        )
        responses, _ = await all_at_once([post] * desks)
        created = [r for r in responses if r.status_code == 201]
        assert len(created) == 1, [r.text for r in responses]
        for refused in (r for r in responses if r.status_code != 201):
            body = assert_problem(refused, 409, "duplicate")
            assert body["existing_id"] == created[0].json()["id"], body
