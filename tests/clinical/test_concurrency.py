"""One examination's result sent from several screens at the same moment, through a real
uvicorn on 127.0.0.1: one result is recorded, and every other screen gets the 409 it would get
a moment later (`result-exists`: amend it instead), never a database column's name."""

from functools import partial

import httpx
import pytest

from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from tests.scheduling.test_concurrency import Server, all_at_once, staff_client, warm_up
from tests.test_conventions import assert_problem

pytestmark = pytest.mark.slow

SCREENS = {"postgresql": 8, "sqlite": 4}
ROUNDS = 4


async def test_one_result_sent_from_many_screens_at_once(
    api: httpx.AsyncClient, server: Server, backend: str
) -> None:
    screens = SCREENS[backend]
    clinic = await make_clinic(api, capacity=ROUNDS, days=1, specialties=["internal-medicine"])
    async with await staff_client(api, server, "clinician", clinic["id"], screens) as clinician:
        await warm_up(clinician, screens)
        for _ in range(ROUNDS):
            person = await person_with_card(api)
            booked = await book(api, clinic, person, day(0), ["internal-medicine"])
            assert booked.status_code == 201, booked.text
            appointment = booked.json()["appointments"][0]["id"]
            post = partial(
                clinician.post,
                f"/api/v1/appointments/{appointment}/result",
                json={"systolic_mmhg": 130, "diastolic_mmhg": 85, "findings": "Bình thường."},
            )
            responses, _ = await all_at_once([post] * screens)
            assert sum(r.status_code == 201 for r in responses) == 1, [r.text for r in responses]
            for refused in (r for r in responses if r.status_code != 201):
                body = assert_problem(refused, 409)
                assert body["code"] in {"result-exists", "appointment-not-open"}, body
