"""Idempotency-Key: a replay returns the first response without a second write; the same key
with another body is refused; keys are per principal, expire, and are not kept by failures."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import beneficiary_payload, create_beneficiary
from tests.test_conventions import assert_problem
from veteran_care.idempotency import service
from veteran_care.models import (
    AuditEvent,
    Beneficiary,
    IdempotencyKey,
    IdempotencyState,
    Role,
)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def key() -> dict[str, str]:
    return {HEADER: uuid.uuid4().hex}


async def replayed(
    client: httpx.AsyncClient, url: str, **request: Any
) -> tuple[httpx.Response, httpx.Response]:
    """POST twice with one key; the second answer is the first one again, marked replayed."""
    headers = key()
    first = await client.post(url, headers=headers, **request)
    assert 200 <= first.status_code < 300, first.text
    second = await client.post(url, headers=headers, **request)
    assert second.status_code == first.status_code
    assert second.content == first.content
    for name in ("content-type", "location", "etag"):
        assert second.headers.get(name) == first.headers.get(name), name
    assert second.headers[REPLAYED] == "true"
    assert REPLAYED not in first.headers
    return first, second


async def count(session: AsyncSession, column: Any, value: Any) -> int:
    return int(await session.scalar(select(func.count()).where(column == value)) or 0)


async def key_rows(session: AsyncSession, principal_id: uuid.UUID) -> list[IdempotencyKey]:
    rows = await session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.principal_id == principal_id)
    )
    return list(rows)


# The mechanism, on POST /beneficiaries ----------------------------------------------------------


async def test_a_replay_returns_the_first_response_and_writes_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    payload = beneficiary_payload()
    first, _ = await replayed(client, "/api/v1/beneficiaries", json=payload)
    assert first.status_code == 201
    assert first.headers["location"].endswith(first.json()["id"])
    assert await count(session, Beneficiary.national_id, payload["national_id"]) == 1
    rows = await key_rows(session, client.account.id)  # type: ignore[attr-defined]
    assert [(r.state, r.status_code, r.operation) for r in rows] == [
        (IdempotencyState.done, 201, "create_beneficiary")
    ]
    # The replay is audited, the write is not repeated.
    actions = (
        await session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.actor_id == client.account.id,  # type: ignore[attr-defined]
                AuditEvent.action.in_(["create", "replay"]),
            )
        )
    ).all()
    assert sorted(actions) == ["create", "replay"]


async def test_the_same_json_in_another_order_or_layout_is_the_same_body(
    client: httpx.AsyncClient,
) -> None:
    headers = {**key(), "Content-Type": "application/json"}
    payload = beneficiary_payload()
    first = await client.post("/api/v1/beneficiaries", headers=headers, json=payload)
    assert first.status_code == 201, first.text
    reordered = json.dumps(dict(reversed(list(payload.items()))), indent=2, ensure_ascii=False)
    again = await client.post("/api/v1/beneficiaries", headers=headers, content=reordered)
    assert again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.content == first.content


async def test_the_same_key_with_another_body_or_path_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = key()
    payload = beneficiary_payload()
    created = await client.post("/api/v1/beneficiaries", headers=headers, json=payload)
    assert created.status_code == 201
    other = beneficiary_payload()
    assert_problem(
        await client.post("/api/v1/beneficiaries", headers=headers, json=other),
        422,
        "idempotency-key-reused",
    )
    assert await count(session, Beneficiary.national_id, other["national_id"]) == 0
    # Another operation with the key: refused too.
    assert_problem(
        await client.post(
            "/api/v1/facilities",
            headers=headers,
            json={"code": "Z0001", "name": "Trạm", "level": "commune-health-station"},
        ),
        422,
        "idempotency-key-reused",
    )


async def test_keys_belong_to_their_principal(
    client: httpx.AsyncClient, client_for: Any, session: AsyncSession
) -> None:
    other = await client_for(Role.scheduler)
    headers = key()
    mine = await client.post("/api/v1/beneficiaries", headers=headers, json=beneficiary_payload())
    assert mine.status_code == 201
    theirs = await other.post("/api/v1/beneficiaries", headers=headers, json=beneficiary_payload())
    assert theirs.status_code == 201, theirs.text
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    # ... and the other's replay is its own.
    again = await other.post("/api/v1/beneficiaries", headers=headers, json=beneficiary_payload())
    assert_problem(again, 422, "idempotency-key-reused")


async def test_a_failed_request_keeps_no_key(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    taken = await create_beneficiary(client)
    headers = key()
    duplicate = beneficiary_payload(national_id=taken["national_id"])
    assert_problem(await client.post("/api/v1/beneficiaries", headers=headers, json=duplicate), 409)
    invalid = beneficiary_payload(birth_year=1200)
    assert_problem(await client.post("/api/v1/beneficiaries", headers=headers, json=invalid), 422)
    assert await key_rows(session, client.account.id) == []  # type: ignore[attr-defined]
    # The client fixes the body and retries with the same key.
    fixed = await client.post("/api/v1/beneficiaries", headers=headers, json=beneficiary_payload())
    assert fixed.status_code == 201, fixed.text
    assert REPLAYED not in fixed.headers


async def test_an_expired_key_is_new_again_and_purged(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = key()
    first = await client.post("/api/v1/beneficiaries", headers=headers, json=beneficiary_payload())
    assert first.status_code == 201
    row = (await key_rows(session, client.account.id))[0]  # type: ignore[attr-defined]
    assert row.expires_at - row.created_at == timedelta(hours=24)
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == headers[HEADER])
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()
    # Expired: neither replayed nor refused with another body.
    second = await client.post("/api/v1/beneficiaries", headers=headers, json=beneficiary_payload())
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == headers[HEADER])
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    assert await service.purge_expired(session) >= 1
    assert await key_rows(session, client.account.id) == []  # type: ignore[attr-defined]


async def test_the_expiry_is_a_setting(
    client: httpx.AsyncClient, app: Any, session: AsyncSession
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"idempotency_key_hours": 2})
    assert (
        await client.post("/api/v1/beneficiaries", headers=key(), json=beneficiary_payload())
    ).status_code == 201
    row = (await key_rows(session, client.account.id))[0]  # type: ignore[attr-defined]
    assert row.expires_at - row.created_at == timedelta(hours=2)


@pytest.mark.parametrize(
    "value",
    ["", "x" * 256, "with space", "khóa-tiếng-việt", "tab\there"],
)
async def test_a_malformed_key_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, value: str
) -> None:
    payload = beneficiary_payload()
    response = await client.post(
        "/api/v1/beneficiaries", headers={HEADER: value.encode()}, json=payload
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "header.Idempotency-Key"
    assert await count(session, Beneficiary.national_id, payload["national_id"]) == 0


async def test_the_longest_key_is_accepted(client: httpx.AsyncClient) -> None:
    headers = {HEADER: "K:" + "k" * 253}
    first = await client.post("/api/v1/beneficiaries", headers=headers, json=beneficiary_payload())
    assert first.status_code == 201, first.text


async def test_an_unauthenticated_request_is_refused_before_its_key(
    anon_client: httpx.AsyncClient,
) -> None:
    response = await anon_client.post(
        "/api/v1/beneficiaries", headers={HEADER: "bad key"}, json=beneficiary_payload()
    )
    assert_problem(response, 401)


async def test_without_a_key_nothing_is_stored(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_beneficiary(client)
    assert await key_rows(session, client.account.id) == []  # type: ignore[attr-defined]


async def test_a_failed_commit_keeps_neither_the_record_nor_the_key(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key row is written in the transaction of the record: when that transaction does not
    commit (the disk fails, the process dies), both are gone and the retry runs as new."""
    stored: list[AsyncSession] = []
    failures = [OperationalError("COMMIT", {}, OSError("disk I/O error"))]
    complete, commit = service.complete, AsyncSession.commit

    async def store_and_note(request: Any, claim: service.Claim, response: Any) -> None:
        await complete(request, claim, response)
        assert claim.session is not None
        stored.append(claim.session)

    async def failing_commit(self: AsyncSession) -> None:
        if self in stored and failures:  # the first commit of a stored key fails
            raise failures.pop()
        await commit(self)

    monkeypatch.setattr(service, "complete", store_and_note)
    monkeypatch.setattr(AsyncSession, "commit", failing_commit)
    headers = key()
    payload = beneficiary_payload()
    lost = await client.post("/api/v1/beneficiaries", headers=headers, json=payload)
    assert_problem(lost, 503, "database-unavailable")
    assert await count(session, Beneficiary.national_id, payload["national_id"]) == 0
    assert await key_rows(session, client.account.id) == []  # type: ignore[attr-defined]
    retry = await client.post("/api/v1/beneficiaries", headers=headers, json=payload)
    assert retry.status_code == 201, retry.text
    assert REPLAYED not in retry.headers
    assert await count(session, Beneficiary.national_id, payload["national_id"]) == 1
