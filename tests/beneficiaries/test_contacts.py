"""Contacts and consent (Decree 13/2023): whom a message about a person may go to, and how
withdrawing consent stops every message."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_beneficiary
from tests.test_conventions import assert_problem
from veteran_care.beneficiaries.contact_rules import message_recipients, recipients_of
from veteran_care.kit.clock import today
from veteran_care.models import Role

CAREGIVER = {
    "full_name": "Lò Thị Xuân",
    "relationship": "caregiver",
    "phone": "0912 345 678",
    "may_receive_messages": True,
}


def base(person: dict[str, Any]) -> str:
    return f"/api/v1/beneficiaries/{person['id']}"


async def add(client: httpx.AsyncClient, person: dict[str, Any], **contact: Any) -> dict[str, Any]:
    response = await client.post(f"{base(person)}/contacts", json=contact)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def consent(
    client: httpx.AsyncClient, person: dict[str, Any], status: str, channel: str | None = None
) -> dict[str, Any]:
    payload = {"status": status, "decided_on": today().isoformat()}
    if channel is not None:
        payload["channel"] = channel
    response = await client.post(f"{base(person)}/consents", json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def recipients(client: httpx.AsyncClient, person: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(f"{base(person)}/message-recipients")
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def test_no_message_without_consent_and_none_after_it_is_withdrawn(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    person = await create_beneficiary(client, phone="0987654321")
    await add(client, person, **CAREGIVER)
    assert await recipients(client, person) == []
    given = await consent(client, person, "given", "sms")
    assert given["channel"] == "sms"
    assert given["recorded_by"] is not None
    assert len(await recipients(client, person)) == 2
    withdrawn = await consent(client, person, "withdrawn")
    assert withdrawn["channel"] == "none"
    assert await recipients(client, person) == []
    assert await message_recipients(session, uuid.UUID(person["id"])) == []
    history = (await client.get(f"{base(person)}/consents")).json()
    assert [c["status"] for c in history] == ["withdrawn", "given"]
    read = await client.get(f"{base(person)}/consents/{given['id']}")
    assert read.json() == given


async def test_a_caregiver_receives_for_the_person(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    person = await create_beneficiary(client)  # no phone of their own
    caregiver = await add(client, person, **CAREGIVER)
    await add(client, person, full_name="Lò Văn Nam", relationship="child", phone="0911111111")
    await consent(client, person, "given", "zalo")
    found = await message_recipients(session, uuid.UUID(person["id"]))
    assert [(r.kind, r.full_name, r.phone, r.channel.value) for r in found] == [
        ("contact", "Lò Thị Xuân", "0912345678", "zalo")
    ]
    assert found[0].contact_id == uuid.UUID(caregiver["id"])
    # The caregiver stops receiving: nobody is left to reach by zalo.
    response = await client.patch(
        f"{base(person)}/contacts/{caregiver['id']}",
        json={"may_receive_messages": False},
        headers={"If-Match": f'"{caregiver["version"]}"'},
    )
    assert response.status_code == 200, response.text
    assert await recipients(client, person) == []


async def test_the_printed_list_or_no_channel(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client, phone="0987654321")
    await add(client, person, **CAREGIVER)
    await consent(client, person, "given", "printed-list")
    assert await recipients(client, person) == [
        {
            "kind": "beneficiary",
            "full_name": person["full_name"],
            "channel": "printed-list",
            "phone": None,
            "contact_id": None,
            "relationship": None,
        }
    ]
    deceased = await client.patch(
        base(person),
        json={"status": "deceased", "date_of_death": today().isoformat()},
        headers={"If-Match": f'"{person["version"]}"'},
    )
    assert deceased.status_code == 200, deceased.text
    assert await recipients(client, person) == []


async def test_a_batch_of_people_each_gets_their_own_recipients(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The dispatcher decides a batch at once: each person's consent and caregivers are theirs
    alone, whoever else is in the batch."""
    by_sms = await create_beneficiary(client, phone="0987654321")
    await add(client, by_sms, **CAREGIVER)
    await consent(client, by_sms, "given", "sms")
    on_paper = await create_beneficiary(client, phone="0977777777")
    await consent(client, on_paper, "given", "printed-list")
    withdrew = await create_beneficiary(client, phone="0966666666")
    await add(client, withdrew, full_name="Lò Văn Nam", relationship="child", phone="0911111111")
    await consent(client, withdrew, "given", "zalo")
    await consent(client, withdrew, "withdrawn")
    never_asked = await create_beneficiary(client, phone="0955555555")
    unknown = uuid.uuid4()
    ids = [uuid.UUID(p["id"]) for p in (by_sms, on_paper, withdrew, never_asked)] + [unknown]
    found = await recipients_of(session, ids)
    assert {i: [(r.full_name, r.phone, r.channel.value) for r in found[i]] for i in ids} == {
        ids[0]: [
            (by_sms["full_name"], "0987654321", "sms"),
            ("Lò Thị Xuân", "0912345678", "sms"),
        ],
        ids[1]: [(on_paper["full_name"], None, "printed-list")],
        ids[2]: [],
        ids[3]: [],
        unknown: [],
    }
    for i in ids:
        assert await message_recipients(session, i) == found[i]


async def test_phones_are_masked_for_reporters(client: httpx.AsyncClient, client_for: Any) -> None:
    person = await create_beneficiary(client, phone="0987654321")
    contact = await add(client, person, **CAREGIVER)
    await consent(client, person, "given", "sms")
    reporter = await client_for(Role.reporter)
    listed = (await reporter.get(f"{base(person)}/contacts")).json()
    assert [c["phone"] for c in listed] == ["******5678"]
    one = (await reporter.get(f"{base(person)}/contacts/{contact['id']}")).json()
    assert one["phone"] == "******5678"
    phones = [r["phone"] for r in (await reporter.get(f"{base(person)}/message-recipients")).json()]
    assert phones == ["******4321", "******5678"]
    assert [r["phone"] for r in await recipients(client, person)] == ["0987654321", "0912345678"]
    refused = await reporter.post(f"{base(person)}/contacts", json=CAREGIVER)
    assert refused.status_code == 403


async def test_what_does_not_add_up_is_refused(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client)
    no_phone = {**CAREGIVER, "phone": None}
    body = assert_problem(await client.post(f"{base(person)}/contacts", json=no_phone), 422)
    assert [e["field"] for e in body["errors"]] == ["body.may_receive_messages"]
    no_channel = {"status": "given", "decided_on": today().isoformat()}
    body = assert_problem(await client.post(f"{base(person)}/consents", json=no_channel), 422)
    assert [e["field"] for e in body["errors"]] == ["body.channel"]
    tomorrow = (today() + timedelta(days=1)).isoformat()
    future = {"status": "given", "decided_on": tomorrow, "channel": "sms"}
    body = assert_problem(await client.post(f"{base(person)}/consents", json=future), 422)
    assert [e["field"] for e in body["errors"]] == ["body.decided_on"]
    contact = await add(client, person, **CAREGIVER)
    response = await client.patch(
        f"{base(person)}/contacts/{contact['id']}",
        json={"phone": None},
        headers={"If-Match": f'"{contact["version"]}"'},
    )
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["body.phone"]
