"""What staff see and change: templates with a preview, a person's messages, the queue, the
printed list of a commune, and the outbox in /metrics."""

import csv
import io
from datetime import date
from typing import Any

import httpx
import icalendar

from tests.messaging.conftest import person_with_card
from tests.messaging.gateway import Gateway
from tests.scheduling.conftest import book, day
from veteran_care.messaging.dispatcher import Dispatcher
from veteran_care.models import Role


async def test_an_admin_previews_then_saves_a_template_the_next_message_uses(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    gateway: Gateway,
    dispatcher: Dispatcher,
) -> None:
    body = "Kính gửi {ho_ten}: hẹn khám {buoi} ngày {ngay} tại {co_so}."
    preview = await client.post(
        "/api/v1/message-template-previews", json={"kind": "confirmation", "body": body}
    )
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["text"].startswith("Kính gửi Lò Văn Pọm: hẹn khám buổi sáng ngày")
    assert shown["sms"]["encoding"] == "ucs-2"
    assert shown["sms_without_diacritics"]["encoding"] == "gsm-7"
    plain = shown["text_without_diacritics"]
    assert plain.startswith("Kinh gui Lo Van Pom: hen kham buoi sang ngay")
    assert shown["sms_without_diacritics"] == {
        "encoding": "gsm-7",
        "length": len(plain),
        "parts": 1,
    }
    assert shown["sms"]["parts"] == 2  # over 70 characters with diacritics

    current = await client.get("/api/v1/message-templates/confirmation")
    assert (current.json()["built_in"], current.headers["ETag"]) == (True, '"0"')
    missing = await client.put("/api/v1/message-templates/confirmation", json={"body": body})
    assert missing.status_code == 428
    saved = await client.put(
        "/api/v1/message-templates/confirmation", json={"body": body}, headers={"If-Match": '"0"'}
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["built_in"], saved.headers["ETag"]) == (False, '"1"')

    person = await person_with_card(client, phone="0912000001")
    assert (await book(client, clinic, person, day(9), part_of_day="morning")).status_code == 201
    await dispatcher.round()
    assert gateway.received[0]["text"].startswith("Kinh gui Lo Van Pom: hen kham buoi sang ngay")


async def test_an_unknown_placeholder_is_refused_before_saving(client: httpx.AsyncClient) -> None:
    for path, method in (
        ("/api/v1/message-template-previews", "POST"),
        ("/api/v1/message-templates/cancellation", "PUT"),
    ):
        response = await client.request(
            method,
            path,
            json={"body": "Chào {ten}, {ngay}"}
            | ({"kind": "cancellation"} if method == "POST" else {}),
            headers={"If-Match": '"0"'},
        )
        assert response.status_code == 422, response.text
        assert "{ten}" in response.json()["errors"][0]["message"]


async def test_only_an_admin_changes_a_template(client_for: Any) -> None:
    scheduler = await client_for(Role.scheduler)
    refused = await scheduler.put(
        "/api/v1/message-templates/confirmation",
        json={"body": "{ho_ten}"},
        headers={"If-Match": '"0"'},
    )
    assert refused.status_code == 403


async def test_staff_see_a_persons_messages_and_the_queue(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    gateway: Gateway,
    dispatcher: Dispatcher,
) -> None:
    person = await person_with_card(client, phone="0912000002")
    checkup = (await book(client, clinic, person, day(9))).json()
    before = (await client.get("/api/v1/messages/queue")).json()
    assert before["due"] >= 1
    await dispatcher.round()
    await client.post(
        f"/api/v1/checkups/{checkup['id']}/cancel",
        json={"cancelled_by": "patient", "reason": "ốm"},
    )
    listed = await client.get(f"/api/v1/beneficiaries/{person['id']}/messages")
    assert listed.status_code == 200, listed.text
    newest, oldest = listed.json()
    assert (newest["kind"], newest["status"], newest["tries"]) == ("cancellation", "pending", [])
    assert (oldest["kind"], oldest["status"], oldest["attempts"]) == ("confirmation", "sent", 1)
    assert oldest["body"] == gateway.received[0]["text"]
    assert oldest["tries"][0]["outcome"] == "sent"
    assert oldest["recipient"] == "0912000002"
    after = (await client.get("/api/v1/messages/queue")).json()
    assert after["sent"] == before["sent"] + 1
    metrics = (await client.get("/metrics")).text
    assert 'veteran_care_messages{status="sent"}' in metrics
    assert 'veteran_care_messages{status="waiting"}' in metrics


async def test_the_commune_station_prints_the_list_of_people_without_a_phone(
    client: httpx.AsyncClient, clinic: dict[str, Any], dispatcher: Dispatcher
) -> None:
    person = await person_with_card(client, commune_code="03151", full_name="Quàng Thị Én")
    assert (await book(client, clinic, person, day(9))).status_code == 201
    await dispatcher.round()
    response = await client.get("/api/v1/messages/printed", params={"commune_code": "03151"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert rows[0] == ["Ngày ghi", "Loại tin", "Người nhận", "Ngày khám", "Nội dung"]
    [row] = [r for r in rows[1:] if r[2] == "Quàng Thị Én"]
    assert row[1] == "Xác nhận lịch khám"
    assert row[3] == f"{date.fromisoformat(day(9)):%d/%m/%Y}"  # as the officer writes days
    assert "Quàng Thị Én" in row[4]


async def test_a_checkup_as_a_calendar_file(
    client: httpx.AsyncClient, clinic: dict[str, Any]
) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(9), part_of_day="afternoon")).json()
    response = await client.get(f"/api/v1/checkups/{checkup['id']}/calendar.ics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "Khám sức khỏe định kỳ"
    assert event.decoded("dtstart").isoformat().startswith(f"{day(9)}T13:30:00+07:00")
    assert str(event["status"]) == "CONFIRMED"
    assert clinic["name"] in str(event["location"])
    await client.post(
        f"/api/v1/checkups/{checkup['id']}/cancel", json={"cancelled_by": "patient", "reason": "ốm"}
    )
    again = await client.get(f"/api/v1/checkups/{checkup['id']}/calendar.ics")
    [cancelled] = icalendar.Calendar.from_ical(again.content).walk("VEVENT")
    assert (str(cancelled["status"]), str(cancelled["uid"])) == ("CANCELLED", str(event["uid"]))
