"""Each category a person holds is recognised by a decision (number, date, issuing authority),
and one of them is their main category: kept through the API and the import, and audited."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.beneficiaries.test_import import csv_bytes, person, run
from tests.factories import beneficiary_payload, create_beneficiary
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import AuditEvent

WOUNDED = {
    "code": "wounded-soldier",
    "disability_rate": 61,
    "recognition_date": "1979-05-01",
    "decision_number": "1234/QĐ-TB",
    "issuing_authority": "Bộ Tư lệnh Quân khu 2",
}


def by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in body["categories"]}


async def patch(
    client: httpx.AsyncClient, body: dict[str, Any], changes: dict[str, Any]
) -> httpx.Response:
    return await client.patch(
        f"/api/v1/beneficiaries/{body['id']}",
        json=changes,
        headers={"If-Match": f'"{body["version"]}"'},
    )


async def test_a_recognition_is_kept_and_read_back(client: httpx.AsyncClient) -> None:
    body = await create_beneficiary(
        client, categories=[{"code": "veteran"}, {**WOUNDED, "main": True}]
    )
    held = by_code(body)
    assert held["wounded-soldier"] == {**WOUNDED, "main": True}
    assert held["veteran"]["main"] is False
    read = (await client.get(f"/api/v1/beneficiaries/{body['id']}")).json()
    assert read["categories"] == body["categories"]


async def test_the_first_listed_is_main_unless_one_is_marked(client: httpx.AsyncClient) -> None:
    body = await create_beneficiary(client, categories=[{"code": "veteran"}, WOUNDED])
    assert {c["code"]: c["main"] for c in body["categories"]} == {
        "veteran": True,
        "wounded-soldier": False,
    }
    changed = await patch(
        client, body, {"categories": [{"code": "veteran"}, {**WOUNDED, "main": True}]}
    )
    assert changed.status_code == 200, changed.text
    assert {c["code"]: c["main"] for c in changed.json()["categories"]} == {
        "veteran": False,
        "wounded-soldier": True,
    }


async def test_two_main_categories_or_a_future_decision_are_refused(
    client: httpx.AsyncClient,
) -> None:
    two = beneficiary_payload(
        categories=[{"code": "veteran", "main": True}, {**WOUNDED, "main": True}]
    )
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=two), 422)
    assert [e["field"] for e in body["errors"]] == ["body.categories"]
    assert "main" in body["errors"][0]["message"]
    tomorrow = (today() + timedelta(days=1)).isoformat()
    future = beneficiary_payload(categories=[{**WOUNDED, "recognition_date": tomorrow}])
    body = assert_problem(await client.post("/api/v1/beneficiaries", json=future), 422)
    assert [e["field"] for e in body["errors"]] == ["body.categories.0.recognition_date"]


async def test_a_change_of_recognition_is_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = await create_beneficiary(client, categories=[WOUNDED])
    renumbered = {**WOUNDED, "decision_number": "99/QĐ-LĐTBXH"}
    changed = await patch(client, body, {"categories": [renumbered]})
    assert changed.status_code == 200, changed.text
    assert by_code(changed.json())["wounded-soldier"]["decision_number"] == "99/QĐ-LĐTBXH"
    events = (
        await session.scalars(
            select(AuditEvent.changed_fields).where(
                AuditEvent.beneficiary_id == uuid.UUID(body["id"]),
                AuditEvent.action == "update",
            )
        )
    ).all()
    assert events == [["categories"]]


async def test_an_import_keeps_the_recognition_it_does_not_mention(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = await create_beneficiary(
        client, birth_date="1951-03-02", birth_year=None, categories=[WOUNDED]
    )
    row = person(
        body["full_name"],
        ma_bhxh=body["bhxh_number"],
        cccd=body["national_id"],
        doi_tuong="veteran;wounded-soldier:71",
    )
    summary = await run(sessionmaker, csv_bytes([row]))
    assert summary.updated == 1, summary.errors
    read = by_code((await client.get(f"/api/v1/beneficiaries/{body['id']}")).json())
    assert read["wounded-soldier"] == {**WOUNDED, "disability_rate": 71, "main": False}
    assert read["veteran"]["main"] is True
    again = await run(sessionmaker, csv_bytes([row]))
    assert again.unchanged == 1
