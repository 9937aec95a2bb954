"""The worklist (issue 27, decision 0053): the due list with what came of each call, the
registry changed by what people say, and a village's list for the commune health worker."""

import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.scheduling.conftest import day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.models import Role

VILLAGE = "Bản Mển"


async def attempt(
    client: httpx.AsyncClient, person: dict[str, Any], outcome: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/beneficiaries/{person['id']}/contact-attempts",
        json={"channel": "phone", "outcome": outcome, **extra},
    )


async def worklist(client: httpx.AsyncClient, **params: Any) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/worklist", params={"commune_code": "03127", **params})
    assert response.status_code == 200, response.text
    return {entry["full_name"]: entry for entry in response.json()["items"]}


async def villagers(client: httpx.AsyncClient, *names: str) -> list[dict[str, Any]]:
    return [
        await person_with_card(client, full_name=name, address_line=f"{VILLAGE}, xã Thanh Nưa")
        for name in names
    ]


async def test_the_worklist_shows_the_last_attempt_and_hides_a_call_later(
    client: httpx.AsyncClient,
) -> None:
    an, binh, chien = await villagers(client, "Lò Văn An", "Quàng Văn Bình", "Lường Văn Chiến")
    assert (await attempt(client, an, "no_answer")).status_code == 201
    second = await attempt(client, an, "wrong_number", note="Số máy không đúng")
    later = await attempt(client, binh, "call_later", call_back_on=day(7))

    assert second.status_code == 201, second.text
    assert later.status_code == 201, later.text
    listed = await worklist(client, village="bản mển")
    assert listed["Lò Văn An"]["last_attempt"]["outcome"] == "wrong_number"
    assert listed["Lò Văn An"]["last_attempt"]["note"] == "Số máy không đúng"
    assert listed["Lường Văn Chiến"]["last_attempt"] is None
    assert "Quàng Văn Bình" not in listed  # back on the list on day(7)
    assert set(await worklist(client, outcome="not_contacted", village=VILLAGE)) == {
        "Lường Văn Chiến"
    }
    assert set(await worklist(client, outcome="wrong_number")) == {"Lò Văn An"}
    assert await worklist(client, village="Bản Không Có") == {}
    history = await client.get(f"/api/v1/beneficiaries/{an['id']}/contact-attempts")
    assert [a["outcome"] for a in history.json()["items"]] == ["wrong_number", "no_answer"]
    assert chien  # listed above


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"outcome": "call_later"}, "call_back_on"),
        ({"outcome": "call_later", "call_back_on": day(0)}, "call_back_on"),
        ({"outcome": "refuses", "call_back_on": day(3)}, "call_back_on"),
        ({"outcome": "will_come"}, "booking"),
        ({"outcome": "moved_away", "date_of_death": "2026-01-01"}, "date_of_death"),
    ],
)
async def test_an_attempt_carries_what_its_outcome_needs(
    client: httpx.AsyncClient, extra: dict[str, Any], field: str
) -> None:
    (person,) = await villagers(client, "Lò Văn Dũng")
    outcome = extra.pop("outcome")

    response = await attempt(client, person, outcome, **extra)

    assert assert_problem(response, 422)["field"] == field


async def test_will_come_books_a_checkup_and_takes_the_person_off(
    client: httpx.AsyncClient,
) -> None:
    clinic = await make_clinic(client, days=3)
    booked, linked = await villagers(client, "Lò Văn Em", "Lò Văn Giang")
    booking = {"facility_id": clinic["id"], "date": day(2), "specialty_codes": ["ultrasound"]}

    made = await attempt(client, booked, "will_come", booking=booking)

    assert made.status_code == 201, made.text
    checkup = await client.get(f"/api/v1/checkups/{made.json()['checkup_id']}")
    assert checkup.json()["beneficiary_id"] == booked["id"]
    existing = await client.post(
        "/api/v1/checkups",
        json={**booking, "beneficiary_id": linked["id"]},
    )
    link = await attempt(client, linked, "will_come", checkup_id=existing.json()["id"])
    assert link.json()["checkup_id"] == existing.json()["id"]
    assert not {"Lò Văn Em", "Lò Văn Giang"} & set(await worklist(client))
    other = await attempt(client, booked, "will_come", checkup_id=existing.json()["id"])
    assert_problem(other, 422, "not-a-planned-checkup")


async def test_moved_away_and_deceased_change_the_registry_with_who_said_so(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    moved, died = await villagers(client, "Lò Văn Hùng", "Lò Văn Khánh")

    left = await attempt(client, moved, "moved_away", informant="Trưởng bản Mển")
    no_date = await attempt(client, died, "deceased", informant="Vợ ông Khánh")
    gone = await attempt(client, died, "deceased", informant="Vợ ông Khánh", date_of_death=day(-3))

    assert left.status_code == 201, left.text
    assert left.json()["informant"] == "Trưởng bản Mển"
    assert_problem(no_date, 422, "date-of-death-required")
    assert gone.status_code == 201, gone.text
    assert (await client.get(f"/api/v1/beneficiaries/{moved['id']}")).json()["status"] == (
        "moved-away"
    )
    record = (await client.get(f"/api/v1/beneficiaries/{died['id']}")).json()
    assert (record["status"], record["date_of_death"]) == ("deceased", day(-3))
    assert not {"Lò Văn Hùng", "Lò Văn Khánh"} & set(await worklist(client))
    again = await attempt(client, died, "moved_away")
    assert_problem(again, 409, "beneficiary-deceased")
    auditor = await client_for(Role.auditor)
    events = await auditor.get(
        "/api/v1/audit-events",
        params={"beneficiary_id": moved["id"], "action": "status_change"},
    )
    details = [e["detail"] for e in events.json()["items"]]
    assert any(d and d.startswith(f"from contact attempt {left.json()['id']}") for d in details)


async def test_a_village_list_as_xlsx_and_pdf_in_vietnamese(client: httpx.AsyncClient) -> None:
    an, _ = await villagers(client, "Lò Văn Lâm", "Lò Văn Minh")
    await person_with_card(client, full_name="Cầm Văn Ngọc", address_line="Bản Phủ")
    await attempt(client, an, "refuses")
    params = {"commune_code": "03127", "village": VILLAGE}
    url, vi = "/api/v1/worklist/village-list", {"Accept-Language": "vi"}

    sheet = await client.get(url, params={**params, "format": "xlsx"}, headers=vi)
    printed = await client.get(url, params=params, headers=vi)

    assert sheet.status_code == 200, sheet.text
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.values)
    cells = [str(c) for row in rows for c in row if c is not None]
    assert "Họ và tên" in cells
    assert "Kết quả liên hệ lần này" in cells
    assert "Lò Văn Lâm" in cells
    assert "Lò Văn Minh" in cells
    assert "Cầm Văn Ngọc" not in cells
    assert any(c.endswith("Từ chối khám") for c in cells)
    assert printed.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.content)).pages)
    assert "Lò Văn Lâm" in text
    assert "Tổng cộng 2 người." in text
