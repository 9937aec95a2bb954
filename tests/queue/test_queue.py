"""Tickets on check-in, calling the next number, served and absent, the board's figures."""

from typing import Any

import httpx
import pytest

from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.models import Role


@pytest.fixture
async def clinic(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_clinic(client, capacity=10, days=1, specialties=["ultrasound"])


async def check_in_people(
    client: httpx.AsyncClient, clinic: dict[str, Any], count: int
) -> list[dict[str, Any]]:
    checkups = []
    for _ in range(count):
        person = await person_with_card(client)
        response = await book(client, clinic, person, day(0), ["ultrasound"], part_of_day="morning")
        assert response.status_code == 201, response.text
        checked = await client.post(f"/api/v1/checkups/{response.json()['id']}/check-in")
        assert checked.status_code == 200, checked.text
        checkups.append(checked.json())
    return checkups


async def board(client: httpx.AsyncClient, clinic: dict[str, Any]) -> dict[str, Any]:
    response = await client.get("/api/v1/queues", params={"facility_id": clinic["id"]})
    assert response.status_code == 200, response.text
    [line] = response.json()["lines"]
    return line


async def test_a_line_is_called_in_order_and_an_absent_number_comes_back_once(
    client: httpx.AsyncClient, client_for: Any, clinic: dict[str, Any]
) -> None:
    checkups = await check_in_people(client, clinic, 3)
    session_id = checkups[0]["appointments"][0]["session_id"]
    line = await board(client, clinic)
    assert (line["current"], line["next"], line["waiting"]) == (None, [1, 2, 3], 3)
    assert line["average_wait_seconds"] is None
    clinician = await client_for(Role.clinician, province_wide=False, facility_ids=[clinic["id"]])
    call = f"/api/v1/sessions/{session_id}/queue/call-next"

    async def call_next() -> dict[str, Any]:
        response = await clinician.post(call)
        assert response.status_code == 200, response.text
        return response.json()

    async def finish(ticket: dict[str, Any], outcome: str) -> dict[str, Any]:
        response = await clinician.post(f"/api/v1/queue-tickets/{ticket['id']}/{outcome}")
        assert response.status_code == 200, response.text
        return response.json()

    first = await call_next()
    assert first["number"] == 1
    assert_problem(await clinician.post(call), 409, "ticket-still-called")
    line = await board(client, clinic)
    assert (line["current"], line["next"], line["waiting"]) == (1, [2, 3], 2)
    assert line["average_wait_seconds"] is not None
    await finish(first, "served")
    second = await call_next()
    assert second["number"] == 2
    back = await finish(second, "absent")
    assert (back["status"], back["requeued"]) == ("waiting", True)
    assert (await board(client, clinic))["next"] == [3, 2]
    third = await call_next()
    assert third["number"] == 3
    await finish(third, "served")
    again = await call_next()
    assert again["number"] == 2
    gone = await finish(again, "absent")
    assert gone["status"] == "absent"
    assert_problem(await clinician.post(call), 409, "queue-empty")
    assert_problem(await clinician.post(f"/api/v1/queue-tickets/{gone['id']}/served"), 409)


async def test_who_may_call(client_for: Any, client: httpx.AsyncClient, clinic: dict[str, Any]):
    checkups = await check_in_people(client, clinic, 1)
    session_id = checkups[0]["appointments"][0]["session_id"]
    reporter = await client_for(Role.reporter)
    assert_problem(await reporter.post(f"/api/v1/sessions/{session_id}/queue/call-next"), 403)
    elsewhere = await client_for(Role.clinician, province_wide=False, facility_ids=[])
    assert_problem(await elsewhere.post(f"/api/v1/sessions/{session_id}/queue/call-next"), 404)
