"""The appointment lifecycle: check-in, cancel, reschedule, no-shows, history, sessions."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.scheduling.conftest import book, day, make_clinic, person_with_card, sessions_on
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import Appointment, Checkup, Session


async def _move_to_the_past(session: AsyncSession, checkup: dict[str, Any], days: int) -> None:
    """What a booking of `days` ago looks like (bookings in the past cannot be made)."""
    past = today() - timedelta(days=days)
    ids = [uuid.UUID(a["session_id"]) for a in checkup["appointments"]]
    await session.execute(update(Session).where(Session.id.in_(ids)).values(date=past))
    await session.execute(
        update(Appointment)
        .where(Appointment.checkup_id == uuid.UUID(checkup["id"]))
        .values(date=past)
    )
    await session.execute(
        update(Checkup).where(Checkup.id == uuid.UUID(checkup["id"])).values(date=past)
    )
    await session.commit()


async def test_check_in_on_the_day_checks_in_every_appointment(
    client: httpx.AsyncClient, clinic
) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(0))).json()
    response = await client.post(f"/api/v1/checkups/{checkup['id']}/check-in")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "arrived"
    assert {a["status"] for a in body["appointments"]} == {"checked-in"}
    again = await client.post(f"/api/v1/checkups/{checkup['id']}/check-in")
    assert_problem(again, 409, "nothing-to-check-in")


async def test_check_in_is_not_for_another_day(client: httpx.AsyncClient, clinic) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(3))).json()
    assert_problem(
        await client.post(f"/api/v1/checkups/{checkup['id']}/check-in"), 409, "not-today"
    )


async def test_cancelling_frees_the_places_and_records_who(
    client: httpx.AsyncClient, clinic
) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(2))).json()
    response = await client.post(
        f"/api/v1/checkups/{checkup['id']}/cancel",
        json={"cancelled_by": "patient", "reason": "Ốm, xin hẹn lại"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled"
    assert {(a["status"], a["cancelled_by"]) for a in body["appointments"]} == {
        ("cancelled", "patient")
    }
    assert all(s["booked"] == 0 for s in await sessions_on(client, clinic, day(2)))
    # The person may book again that day.
    assert (await book(client, clinic, person, day(2))).status_code == 201


async def test_reschedule_cancels_and_links_both_ways(client: httpx.AsyncClient, clinic) -> None:
    person = await person_with_card(client)
    old = (await book(client, clinic, person, day(2))).json()
    response = await client.post(
        f"/api/v1/checkups/{old['id']}/reschedule",
        json={"date": day(4), "reason": "Gia đình có việc", "cancelled_by": "patient"},
    )
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["date"] == day(4)
    assert new["rescheduled_from_id"] == old["id"]
    old_now = (await client.get(f"/api/v1/checkups/{old['id']}")).json()
    assert old_now["status"] == "cancelled"
    by_code = {a["specialty_code"]: a for a in new["appointments"]}
    for appointment in old_now["appointments"]:
        successor = by_code[appointment["specialty_code"]]
        assert appointment["status"] == "cancelled"
        assert appointment["rescheduled_to_id"] == successor["id"]
        assert successor["rescheduled_from_id"] == appointment["id"]
    assert all(s["booked"] == 0 for s in await sessions_on(client, clinic, day(2)))


async def test_a_failed_reschedule_changes_nothing(client: httpx.AsyncClient, clinic) -> None:
    person = await person_with_card(client)
    old = (await book(client, clinic, person, day(2))).json()
    response = await client.post(
        f"/api/v1/checkups/{old['id']}/reschedule",
        json={"date": day(60), "reason": "x", "cancelled_by": "facility"},
    )
    assert_problem(response, 409, "no-session")
    still = (await client.get(f"/api/v1/checkups/{old['id']}")).json()
    assert {a["status"] for a in still["appointments"]} == {"booked"}


async def test_a_checkup_is_rescheduled_to_the_last_date(client: httpx.AsyncClient, clinic) -> None:
    """9999-12-31 is a date like any other (issue 22): with no session that day the refusal
    offers no next date (there is none); with sessions the checkup moves there."""
    last = "9999-12-31"
    person = await person_with_card(client, card_until=last)
    old = (await book(client, clinic, person, day(2))).json()
    move = {"date": last, "reason": "Gia đình có việc", "cancelled_by": "patient"}
    url = f"/api/v1/checkups/{old['id']}/reschedule"
    refused = assert_problem(await client.post(url, json=move), 409, "no-session")
    assert refused["next_available_dates"] == []
    generated = await client.post(
        "/api/v1/sessions/generate",
        json={"facility_id": clinic["id"], "date_from": last, "date_to": last},
    )
    assert generated.status_code == 200, generated.text
    moved = await client.post(url, json=move)
    assert moved.status_code == 201, moved.text
    assert moved.json()["date"] == last


async def test_noshows_are_marked_for_past_days_and_never_for_cancelled(
    client: httpx.AsyncClient, clinic, session: AsyncSession
) -> None:
    missed = (await book(client, clinic, await person_with_card(client), day(1))).json()
    cancelled = (await book(client, clinic, await person_with_card(client), day(2))).json()
    await client.post(
        f"/api/v1/checkups/{cancelled['id']}/cancel",
        json={"cancelled_by": "facility", "reason": "Máy siêu âm hỏng"},
    )
    future = (await book(client, clinic, await person_with_card(client), day(3))).json()
    await _move_to_the_past(session, missed, 2)
    await _move_to_the_past(session, cancelled, 3)
    response = await client.post(
        "/api/v1/appointments/mark-noshows", json={"facility_id": clinic["id"]}
    )
    assert response.json() == {"marked": 3}
    missed_now = (await client.get(f"/api/v1/checkups/{missed['id']}")).json()
    assert {a["status"] for a in missed_now["appointments"]} == {"noshow"}
    assert missed_now["status"] == "finished"
    cancelled_now = (await client.get(f"/api/v1/checkups/{cancelled['id']}")).json()
    assert {a["status"] for a in cancelled_now["appointments"]} == {"cancelled"}
    future_now = (await client.get(f"/api/v1/checkups/{future['id']}")).json()
    assert {a["status"] for a in future_now["appointments"]} == {"booked"}
    appointment = cancelled_now["appointments"][0]["id"]
    refused = await client.post(
        f"/api/v1/appointments/{appointment}/status", json={"status": "noshow"}
    )
    assert_problem(refused, 409, "invalid-status-transition")


async def test_noshows_before_a_future_date_are_refused(client: httpx.AsyncClient, clinic) -> None:
    """Marking no-shows "before tomorrow" would mark today's appointments, which people may
    still keep: a 422 that says so, and nothing marked."""
    todays = (await book(client, clinic, await person_with_card(client), day(0))).json()
    for later in (day(1), day(30)):
        response = await client.post(
            "/api/v1/appointments/mark-noshows",
            json={"facility_id": clinic["id"], "before": later},
        )
        body = assert_problem(response, 422, "validation-error")
        assert body["errors"][0]["field"] == "body.before"
        assert "in the future" in body["errors"][0]["message"]
    still = (await client.get(f"/api/v1/checkups/{todays['id']}")).json()
    assert {a["status"] for a in still["appointments"]} == {"booked"}
    today_is_fine = await client.post(
        "/api/v1/appointments/mark-noshows", json={"facility_id": clinic["id"], "before": day(0)}
    )
    assert today_is_fine.json() == {"marked": 0}


async def test_every_status_change_is_in_the_history(client: httpx.AsyncClient, clinic) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(0), ["ultrasound"])).json()
    appointment = checkup["appointments"][0]["id"]
    await client.post(f"/api/v1/checkups/{checkup['id']}/check-in")
    await client.post(
        f"/api/v1/appointments/{appointment}/cancel",
        json={"cancelled_by": "patient", "reason": "Về sớm"},
    )
    history = (await client.get(f"/api/v1/appointments/{appointment}/history")).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "booked"),
        ("booked", "checked-in"),
        ("checked-in", "cancelled"),
    ]
    assert history[-1]["reason"] == "Về sớm"
    assert history[-1]["changed_by"] == str(client.account.id)


async def test_entered_in_error_frees_the_place(client: httpx.AsyncClient, clinic) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(2), ["ultrasound"])).json()
    appointment = checkup["appointments"][0]
    response = await client.post(
        f"/api/v1/appointments/{appointment['id']}/status",
        json={"status": "entered-in-error", "reason": "Nhầm người"},
    )
    assert response.status_code == 200, response.text
    found = (await client.get(f"/api/v1/sessions/{appointment['session_id']}")).json()
    assert found["booked"] == 0
    fulfil = await client.post(
        f"/api/v1/appointments/{appointment['id']}/status", json={"status": "fulfilled"}
    )
    assert_problem(fulfil, 422, "use-another-operation")


async def test_a_cancelled_appointment_can_be_entered_in_error(
    client: httpx.AsyncClient, clinic
) -> None:
    """Found by schemathesis on a real appointment: the lifecycle allows it, the data must too."""
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(1), ["ultrasound"])).json()
    appointment = checkup["appointments"][0]["id"]
    cancelled = await client.post(
        f"/api/v1/appointments/{appointment}/cancel",
        json={"cancelled_by": "patient", "reason": "Đi viện tỉnh"},
    )
    assert cancelled.status_code == 200, cancelled.text
    response = await client.post(
        f"/api/v1/appointments/{appointment}/status",
        json={"status": "entered-in-error", "reason": "Nhầm người"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "entered-in-error"
    history = (await client.get(f"/api/v1/appointments/{appointment}/history")).json()
    assert [(h["to_status"], h["reason"]) for h in history][1:] == [
        ("cancelled", "Đi viện tỉnh"),
        ("entered-in-error", "Nhầm người"),
    ]


async def test_capacity_never_below_booked_and_if_match(client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(client, capacity=2, specialties=["ultrasound"])
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(2), ["ultrasound"])).json()
    session_id = checkup["appointments"][0]["session_id"]
    url = f"/api/v1/sessions/{session_id}"
    read = await client.get(url)
    etag = read.headers["etag"]
    assert_problem(
        await client.patch(url, json={"capacity": 0}, headers={"If-Match": etag}),
        409,
        "capacity-below-booked",
    )
    ok = await client.patch(url, json={"capacity": 5}, headers={"If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["places_left"] == 4
    assert_problem(await client.patch(url, json={"capacity": 6}, headers={"If-Match": etag}), 412)
    assert_problem(await client.patch(url, json={"capacity": 6}), 428)


async def test_cancelling_a_session_cancels_its_appointments_and_lists_whom_to_call(
    client: httpx.AsyncClient, clinic
) -> None:
    person = await person_with_card(client, full_name="Quàng Thị Xuân", phone="0912000111")
    checkup = (await book(client, clinic, person, day(2), ["ophthalmology"])).json()
    session_id = checkup["appointments"][0]["session_id"]
    response = await client.post(
        f"/api/v1/sessions/{session_id}/cancel", json={"reason": "Bác sĩ đi tập huấn"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["session"]["status"] == "cancelled"
    assert body["session"]["booked"] == 0
    assert [(p["full_name"], p["phone"]) for p in body["people_to_call"]] == [
        ("Quàng Thị Xuân", "0912000111")
    ]
    now = (await client.get(f"/api/v1/checkups/{checkup['id']}")).json()
    assert now["appointments"][0]["cancelled_by"] == "facility"
    assert now["appointments"][0]["cancel_reason"] == "Bác sĩ đi tập huấn"
    assert_problem(
        await client.post(f"/api/v1/sessions/{session_id}/cancel", json={"reason": "x"}), 409
    )


async def test_sessions_by_hand(client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(client, specialties=["x-ray"], days=0)
    services = (await client.get(f"/api/v1/facilities/{clinic['id']}/services")).json()
    payload = {
        "service_id": services[0]["id"],
        "date": day(20),
        "part_of_day": "morning",
        "capacity": 7,
    }
    created = await client.post("/api/v1/sessions", json=payload)
    assert created.status_code == 201, created.text
    assert created.json()["capacity"] == 7
    assert_problem(await client.post("/api/v1/sessions", json=payload), 409, "duplicate")
    past = dict(payload, date=day(-1))
    assert_problem(await client.post("/api/v1/sessions", json=past), 422, "date-in-past")
