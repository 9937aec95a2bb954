"""Database behaviour: durability before the response, constraint translation, SQLite setup."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.factories import beneficiary_payload
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.db.errors import unique_violation_fields
from veteran_care.db.session import plan_each_execution
from veteran_care.identity.tokens import issue_access_token
from veteran_care.kit.text import fold
from veteran_care.main import create_app, use_engine
from veteran_care.models import (
    Account,
    AccountKind,
    AuditEvent,
    Beneficiary,
    BeneficiaryCategoryMembership,
    Sex,
)


def _person(**overrides: object) -> Beneficiary:
    values: dict[str, object] = {
        "full_name": "Tòng Văn Lả",
        "name_search": fold("Tòng Văn Lả"),
        "birth_year": 1950,
        "sex": Sex.male,
        "ethnicity_code": "03",
        "version": 1,
    }
    values.update(overrides)
    return Beneficiary(**values)


async def test_a_unique_violation_names_the_column(session: AsyncSession) -> None:
    """The database, not only the service's pre-check, keeps CCCDs unique."""
    session.add(_person(national_id="011050999001", national_id_type="cccd"))
    await session.flush()
    session.add(_person(national_id="011050999001", national_id_type="cccd"))
    with pytest.raises(IntegrityError) as caught:
        await session.flush()
    assert unique_violation_fields(caught.value) == ["national_id"]


async def test_a_check_constraint_guards_the_death_date(session: AsyncSession) -> None:
    session.add(_person(status="deceased", date_of_death=None))
    with pytest.raises(IntegrityError):
        await session.flush()


@asynccontextmanager
async def _committed_client(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    use_engine(app, engine)
    account = Account(
        kind=AccountKind.user,
        login=f"committed-{uuid.uuid4().hex[:8]}",
        display_name="Committed admin",
        secret_hash="not-a-password",
        roles=["admin"],
        province_wide=True,
        version=1,
    )
    async with app.state.sessionmaker() as session:
        session.add(account)
        await session.commit()
    token = issue_access_token(settings.secret_key, account.id, datetime.now(UTC), 5)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client
    async with engine.begin() as conn:
        await conn.execute(delete(Account).where(Account.id == account.id))


@pytest.fixture
async def committed_client(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client on an app without the test transaction: its writes really commit."""
    async with _committed_client(settings, engine) as client:
        yield client


async def _delete_person(engine: AsyncEngine, person_id: uuid.UUID) -> None:
    """Committed tests share the database with the others: they remove what they made."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(BeneficiaryCategoryMembership).where(
                BeneficiaryCategoryMembership.beneficiary_id == person_id
            )
        )
        await conn.execute(delete(Beneficiary).where(Beneficiary.id == person_id))


async def test_concurrent_writers_on_sqlite_take_turns_instead_of_failing_busy(
    backend: str, settings: Settings
) -> None:
    """Every audited read writes. With SQLite's busy wait cut to 1 ms, 24 concurrent reads
    of one process still all succeed: they take turns on the process's writer lock."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL runs its writers concurrently")
    engine = create_engine(settings.model_copy(update={"sqlite_busy_timeout_ms": 1}))
    try:
        async with _committed_client(settings, engine) as client:
            created = await client.post("/api/v1/beneficiaries", json=beneficiary_payload())
            assert created.status_code == 201, created.text
            person_id = uuid.UUID(created.json()["id"])
            try:
                path = f"/api/v1/beneficiaries/{person_id}"
                answers = await asyncio.gather(*(client.get(path) for _ in range(24)))
            finally:
                await _delete_person(engine, person_id)
        assert [a.status_code for a in answers] == [200] * 24
    finally:
        await engine.dispose()


async def test_a_created_beneficiary_is_committed_before_the_response(
    committed_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Without the test transaction: a 201 means another connection already sees the row."""
    payload = beneficiary_payload()
    response = await committed_client.post("/api/v1/beneficiaries", json=payload)
    assert response.status_code == 201, response.text
    created = uuid.UUID(response.json()["id"])
    try:
        async with engine.connect() as other:
            found = await other.scalar(select(Beneficiary.id).where(Beneficiary.id == created))
        assert found == created
    finally:
        await _delete_person(engine, created)


async def test_a_refused_write_leaves_nothing(
    committed_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A request that fails half-way (bad category after the person was built) writes nothing,
    and the audit trail records the failure, not a creation."""
    payload = beneficiary_payload(categories=[{"code": "veteran"}, {"code": "astronaut"}])
    response = await committed_client.post("/api/v1/beneficiaries", json=payload)
    assert response.status_code == 422
    async with engine.connect() as other:
        found = await other.scalar(
            select(Beneficiary.id).where(Beneficiary.national_id == payload["national_id"])
        )
        assert found is None
        request_id = response.headers["x-request-id"]
        events = (
            await other.execute(
                select(AuditEvent.action, AuditEvent.outcome, AuditEvent.status_code).where(
                    AuditEvent.request_id == request_id
                )
            )
        ).all()
    assert events == [("create", "failed", 422)]


async def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(
    backend: str, engine: AsyncEngine, settings: Settings
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite pragmas only apply to the SQLite backend")
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        timeout = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        assert timeout == settings.sqlite_busy_timeout_ms


async def test_timestamps_come_back_in_utc(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/beneficiaries", json=beneficiary_payload())
    assert response.json()["created_at"].endswith("Z")


async def test_postgresql_plans_reports_for_their_actual_parameters(
    backend: str, engine: AsyncEngine
) -> None:
    """Report-like transactions plan each execution; the others let PostgreSQL keep a prepared
    statement's generic plan (planning the booking every time was a third of its CPU)."""
    if backend != "postgresql":
        pytest.skip("plan_cache_mode is a PostgreSQL setting")
    show = text("SHOW plan_cache_mode")
    async with create_sessionmaker(engine)() as session:
        async with session.begin():
            assert (await session.execute(show)).scalar() == "auto"
            await plan_each_execution(session)
            assert (await session.execute(show)).scalar() == "force_custom_plan"
        async with session.begin():
            assert (await session.execute(show)).scalar() == "auto"


async def _kill_a_pooled_connection(engine: AsyncEngine) -> None:
    """Two connections in the pool; the server ends the one that will be handed out next."""
    async with engine.connect() as first, engine.connect() as second:
        pid = (await first.execute(text("SELECT pg_backend_pid()"))).scalar()
        await first.close()  # back in the pool, first in line (the pool is FIFO)
        await second.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await second.commit()


async def test_a_pooled_connection_that_died_while_idle_is_replaced(
    backend: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite connections do not die on a server")
    # Used moments ago, so not pinged: the driver saw the server close it, and the pool
    # replaces it at checkout without a round trip and without an error.
    await _kill_a_pooled_connection(engine)
    await asyncio.sleep(0.05)  # the event loop reads the server's goodbye
    for _ in range(3):
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    # Dead but not yet seen closed (checked at once): a connection idle past the limit is
    # pinged before use, and replaced without an error.
    monkeypatch.setattr("veteran_care.db.engine.PING_AFTER_IDLE_SECONDS", 0.0)
    await _kill_a_pooled_connection(engine)
    for _ in range(3):
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
