"""Test fixtures: one migrated database per run, one rolled-back transaction per test.

The backend is chosen by ``VETERAN_CARE_TEST_DATABASE_URL``: unset means a fresh SQLite file;
a ``postgresql+asyncpg://`` URL means a fresh database created next to it (and dropped after).
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine
from veteran_care.identity.passwords import hash_secret
from veteran_care.identity.tokens import issue_access_token
from veteran_care.main import create_app
from veteran_care.models import Account, AccountFacility, AccountKind, Role

# Two provinces served at once (`both`, `provinces`): the province scope and reports' tests.
pytest_plugins = ["tests.provinces"]

TEST_URL_VARIABLE = "VETERAN_CARE_TEST_DATABASE_URL"
TEST_SECRET = "test-secret-" + "x" * 64


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _pg_admin_dsn(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


async def _pg_execute(url: str, sql: str) -> None:
    admin = make_url(url).database or "postgres"
    connection = await asyncpg.connect(_pg_admin_dsn(url, admin), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def backend() -> str:
    url = os.environ.get(TEST_URL_VARIABLE, "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for this test run (per xdist worker)."""
    if backend == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "veteran_care_test.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        yield url
        return
    base = os.environ[TEST_URL_VARIABLE]
    name = f"vc_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_execute(base, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {base}: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        secret_key=TEST_SECRET,
        data_dir=tmp_path_factory.mktemp("data"),
        # The tests read English texts; tests/test_language.py tries the default, vi.
        default_language="en",
    )


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Application commits become SAVEPOINT releases inside the test's transaction.
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine, sessionmaker: Any) -> Any:
    app = create_app(settings)
    app.state.engine = engine
    app.state.sessionmaker = app.state.account_sessionmaker = sessionmaker
    return app


@pytest.fixture
def make_account(
    session: AsyncSession,
) -> Callable[..., Awaitable[Account]]:
    """Create an account directly (a fast hash: these tests are not about passwords)."""

    async def make(
        *roles: Role,
        province_wide: bool = True,
        facility_ids: Sequence[uuid.UUID] = (),
        province_codes: Sequence[str] = (),
        nation_wide: bool = False,
        kind: AccountKind = AccountKind.user,
        login: str | None = None,
        secret: str = "correct horse battery staple",
    ) -> Account:
        account = Account(
            kind=kind,
            login=login or f"{'-'.join(r.value for r in roles) or 'none'}-{uuid.uuid4().hex[:8]}",
            display_name="Nhân viên Thử nghiệm",
            secret_hash=hash_secret(secret),
            roles=sorted(r.value for r in roles),
            province_wide=province_wide,
            facilities=[AccountFacility(facility_id=uuid.UUID(str(f))) for f in facility_ids],
            province_codes=sorted(province_codes),
            nation_wide=nation_wide,
        )
        session.add(account)
        await session.commit()  # a savepoint release: the app's sessions see it
        return account

    return make


@pytest.fixture
def token_for(settings: Settings) -> Callable[[Account], str]:
    def mint(account: Account) -> str:
        return issue_access_token(
            settings.secret_key, account.id, datetime.now(UTC), settings.access_token_minutes
        )

    return mint


@pytest.fixture
async def client_for(
    app: Any, make_account: Any, token_for: Callable[[Account], str]
) -> AsyncIterator[Callable[..., Awaitable[httpx.AsyncClient]]]:
    """An API client logged in as a new account with these roles (closed after the test)."""
    opened: list[httpx.AsyncClient] = []

    async def make(*roles: Role, **scope: Any) -> httpx.AsyncClient:
        account = await make_account(*roles, **scope)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token_for(account)}"},
        )
        client.account = account  # type: ignore[attr-defined]
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
async def client(client_for: Any) -> httpx.AsyncClient:
    """A province-wide admin and scheduler: may read and write the registry."""
    return await client_for(Role.admin, Role.scheduler)


@pytest.fixture
async def anon_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow fault and contract tests (a server killed mid-write, a backup under load, a
    generated client) run in CI (``CI=true``, as ``.ci/run`` sets it) or with
    ``VETERAN_CARE_SLOW_TESTS=1``; elsewhere they are skipped, with this reason shown."""
    if os.environ.get("CI") or os.environ.get("VETERAN_CARE_SLOW_TESTS"):
        return
    skip = pytest.mark.skip(reason="slow test: runs in CI, or with VETERAN_CARE_SLOW_TESTS=1")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)
