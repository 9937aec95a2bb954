"""A calendar that knows the country (issue 27): generating sessions skips Vietnam's public
holidays, the lunar ones included, and a facility's own closed days."""

from datetime import date
from typing import Any

import httpx

from tests.factories import create_facility
from tests.scheduling.conftest import EVERY_DAY, day, sessions_on
from tests.test_conventions import assert_problem
from veteran_care.models import Role

# The days off of 2027 (Tết Đinh Mùi falls on 6 February; the Hùng Kings' day, 10/3 lunar,
# on 16 April; 1 May is a Saturday, so 3 May is given in lieu).
TET_2027 = [date(2027, 2, d) for d in range(4, 11)]
OTHER_DAYS_OFF_2027 = [
    date(2027, 1, 1),
    date(2027, 4, 16),
    date(2027, 4, 30),
    date(2027, 5, 1),
    date(2027, 5, 3),
    date(2027, 9, 2),
    date(2027, 9, 3),
]


async def _mornings(client: httpx.AsyncClient) -> dict[str, Any]:
    facility = await create_facility(client, level="regional-medical-centre")
    mornings = [slot for slot in EVERY_DAY if slot["part_of_day"] == "morning"]
    response = await client.post(
        f"/api/v1/facilities/{facility['id']}/services",
        json={"specialty_code": "ultrasound", "timetable": mornings, "default_capacity": 5},
    )
    assert response.status_code == 201, response.text
    return facility


async def _generate(client: httpx.AsyncClient, facility: dict[str, Any], **extra: Any) -> Any:
    response = await client.post(
        "/api/v1/sessions/generate", json={"facility_id": facility["id"], **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_year_of_sessions_skips_tet_and_the_other_holidays(
    client: httpx.AsyncClient,
) -> None:
    facility = await _mornings(client)

    result = await _generate(client, facility, date_from="2027-01-01", date_to="2027-12-31")

    skipped = {date.fromisoformat(s["date"]): s for s in result["skipped"]}
    assert set(TET_2027 + OTHER_DAYS_OFF_2027) <= set(skipped)
    assert {s["kind"] for s in skipped.values()} == {"public-holiday"}
    assert skipped[date(2027, 2, 6)]["reason"] == "Tết Nguyên Đán"
    assert skipped[date(2027, 4, 16)]["reason"] == "Ngày Giỗ Tổ Hùng Vương"
    assert result["created"] == 365 - len(skipped)
    for holiday in (date(2027, 2, 6), date(2027, 4, 16)):
        assert await sessions_on(client, facility, holiday.isoformat()) == []
    assert len(await sessions_on(client, facility, "2027-02-11")) == 1  # back after Tết


async def test_a_facility_that_works_on_holidays_can_say_so(client: httpx.AsyncClient) -> None:
    facility = await _mornings(client)

    result = await _generate(
        client, facility, date_from="2027-02-04", date_to="2027-02-10", skip_public_holidays=False
    )

    assert (result["created"], result["skipped"]) == (7, [])


async def test_a_closed_day_of_the_facility_is_skipped_and_can_be_opened_again(
    client: httpx.AsyncClient,
) -> None:
    facility = await _mornings(client)
    url = f"/api/v1/facilities/{facility['id']}/closed-days"
    closed = await client.put(f"{url}/2027-03-10", json={"reason": "Kiểm kê thuốc"})
    assert closed.status_code == 200, closed.text
    again = await client.put(f"{url}/2027-03-10", json={"reason": "Kiểm kê thuốc cuối quý"})
    assert again.status_code == 200

    result = await _generate(client, facility, date_from="2027-03-09", date_to="2027-03-11")

    assert result["created"] == 2
    assert result["skipped"] == [
        {"date": "2027-03-10", "kind": "facility", "reason": "Kiểm kê thuốc cuối quý"}
    ]
    listed = await client.get(url, params={"date_from": "2027-03-01", "date_to": "2027-04-30"})
    assert [(d["date"], d["kind"]) for d in listed.json()["items"]] == [
        ("2027-03-10", "facility"),
        ("2027-04-16", "public-holiday"),
        ("2027-04-30", "public-holiday"),
    ]
    assert (await client.delete(f"{url}/2027-03-10")).status_code == 204
    assert_problem(await client.delete(f"{url}/2027-03-10"), 404)
    reopened = await _generate(client, facility, date_from="2027-03-10", date_to="2027-03-10")
    assert (reopened["created"], reopened["skipped"]) == (1, [])


async def test_a_day_with_open_sessions_is_not_closed_behind_their_backs(
    client: httpx.AsyncClient,
) -> None:
    facility = await _mornings(client)
    await _generate(client, facility, date_from=day(3), date_to=day(3), skip_public_holidays=False)

    refused = await client.put(
        f"/api/v1/facilities/{facility['id']}/closed-days/{day(3)}", json={"reason": "Mất điện"}
    )

    problem = assert_problem(refused, 409, "day-has-sessions")
    assert "cancel" in problem["detail"]


async def test_only_schedulers_close_days(client_for: Any, client: httpx.AsyncClient) -> None:
    facility = await _mornings(client)
    reporter = await client_for(Role.reporter)
    refused = await reporter.put(
        f"/api/v1/facilities/{facility['id']}/closed-days/2027-03-10", json={"reason": "x"}
    )
    assert_problem(refused, 403)


async def test_a_day_in_the_path_is_an_iso_date(client: httpx.AsyncClient) -> None:
    facility = await _mornings(client)
    for written in ("0", "20270310", "10-03-2027"):
        refused = await client.put(
            f"/api/v1/facilities/{facility['id']}/closed-days/{written}", json={"reason": "x"}
        )
        assert_problem(refused, 422)
