"""The audit trail: reads and writes recorded, denials recorded, append-only, tamper-evident."""

import csv
import io
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_beneficiary
from tests.test_conventions import assert_problem
from veteran_care.audit import sealer
from veteran_care.audit import service as audit
from veteran_care.models import AuditEvent, Role


async def _events(session: AsyncSession, **where: object) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    return list((await session.scalars(stmt)).all())


async def test_create_update_and_read_are_recorded(client, session: AsyncSession) -> None:
    person = await create_beneficiary(client)
    url = f"/api/v1/beneficiaries/{person['id']}"
    await client.patch(url, json={"phone": "0912345678"}, headers={"If-Match": '"1"'})
    read = await client.get(url)
    events = await _events(session, beneficiary_id=uuid.UUID(read.json()["id"]))
    assert [(e.action, e.outcome) for e in events] == [
        ("create", "success"),
        ("update", "success"),
        ("read", "success"),
    ]
    create, update, last = events
    assert create.actor_id == client.account.id
    assert create.actor_kind == "user"
    assert create.operation == "create_beneficiary"
    assert create.resource_type == "beneficiary"
    assert "national_id" in (create.changed_fields or [])
    assert update.changed_fields == ["phone"]
    assert last.request_id == read.headers["x-request-id"]
    assert last.client_address


async def test_search_is_recorded_without_the_query_text(client, session: AsyncSession) -> None:
    response = await client.get("/api/v1/beneficiaries", params={"q": "Nguyễn Văn An"})
    events = await _events(session, request_id=response.headers["x-request-id"])
    assert [e.action for e in events] == ["search"]
    assert "Nguy" not in (events[0].detail or "")
    assert "q" in (events[0].detail or "")


async def test_a_denied_request_is_recorded_as_denied(client_for, session: AsyncSession) -> None:
    auditor = await client_for(Role.auditor)
    response = await auditor.get("/api/v1/beneficiaries")
    assert_problem(response, 403)
    events = await _events(session, request_id=response.headers["x-request-id"])
    assert [(e.action, e.outcome, e.status_code) for e in events] == [("access", "denied", 403)]


async def test_login_is_recorded(anon_client, make_account, session: AsyncSession) -> None:
    account = await make_account(Role.clinician, login="tong.van.la")
    response = await anon_client.post(
        "/api/v1/auth/token",
        data={"username": "tong.van.la", "password": "correct horse battery staple"},
    )
    assert response.status_code == 200
    events = await _events(session, request_id=response.headers["x-request-id"])
    assert [(e.action, e.actor_id) for e in events] == [("login", account.id)]


async def test_the_chain_verifies_and_an_edited_row_is_found(
    client, session: AsyncSession, backend: str
) -> None:
    for _ in range(3):
        await create_beneficiary(client)
    await sealer.seal_in(session)
    assert (await audit.verify(session)).intact
    target = (await _events(session, action="create"))[-2]
    # Tamper as a database owner would: switch the append-only trigger off first.
    if backend == "postgresql":
        await session.execute(
            text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
        )
    else:
        await session.execute(text("DROP TRIGGER audit_events_no_update"))
    await session.execute(
        text("UPDATE audit_events SET actor_login = 'someone-else' WHERE id = :id"),
        {"id": target.id},
    )
    result = await audit.verify(session)
    assert not result.intact
    assert result.first_broken_id == target.id


async def test_the_table_refuses_updates_and_deletes(client, session: AsyncSession) -> None:
    await create_beneficiary(client)
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(text(statement))


async def test_auditors_search_and_export_the_trail(client, client_for) -> None:
    person = await create_beneficiary(client)
    auditor = await client_for(Role.auditor)
    page = await auditor.get(
        "/api/v1/audit-events", params={"beneficiary_id": person["id"], "limit": 1}
    )
    assert page.status_code == 200, page.text
    body = page.json()
    assert len(body["items"]) == 1
    assert body["items"][0]["action"] == "create"
    assert body["next_cursor"] is None
    exported = await auditor.get(
        "/api/v1/audit-events", params={"beneficiary_id": person["id"], "format": "csv"}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == ["create"]
    own = await auditor.get("/api/v1/audit-events", params={"actor_id": str(auditor.account.id)})
    assert {e["action"] for e in own.json()["items"]} >= {"read", "export"}


async def test_audit_pages_follow_the_cursor(client, client_for) -> None:
    person = await create_beneficiary(client)
    for _ in range(4):
        await client.get(f"/api/v1/beneficiaries/{person['id']}")
    auditor = await client_for(Role.auditor)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"beneficiary_id": person["id"], "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await auditor.get("/api/v1/audit-events", params=params)).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5
    assert seen == sorted(seen, reverse=True)
    bad = await auditor.get("/api/v1/audit-events", params={"cursor": "!!"})
    assert_problem(bad, 422, "invalid-cursor")


async def test_other_roles_cannot_read_the_trail(client) -> None:
    assert_problem(await client.get("/api/v1/audit-events"), 403)


async def test_the_trail_is_searched_between_any_two_instants(client, client_for) -> None:
    """Instants at the ends of the calendar, in any offset, are bounds like others (issue 22):
    0001-01-01T00:00:00+07:00 is before the first UTC instant, 9999-12-31T23:59:59-07:00 after
    the last one."""
    person = await create_beneficiary(client)
    auditor = await client_for(Role.auditor)
    first, last = "0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-07:00"

    async def actions(**bounds: str) -> list[str]:
        params = {"beneficiary_id": person["id"], **bounds}
        response = await auditor.get("/api/v1/audit-events", params=params)
        assert response.status_code == 200, response.text
        return [e["action"] for e in response.json()["items"]]

    assert await actions(occurred_from=first) == ["create"]
    assert await actions(occurred_to=last) == ["create"]
    assert await actions(occurred_from=first, occurred_to=last) == ["create"]
    assert await actions(occurred_to=first) == []
    assert await actions(occurred_from=last) == []
