"""The account check of every authenticated request, on an engine as the served app has it.

The other tests run the same check inside their own transaction; these commit their rows, so
that a session of the engine sees them, and remove them afterwards.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from veteran_care.auth.account import read_principal
from veteran_care.auth.principal import Principal
from veteran_care.auth.tokens import AccessClaims
from veteran_care.config import Settings
from veteran_care.db.engine import create_sessionmaker
from veteran_care.identity.tokens import issue_access_token
from veteran_care.main import create_app, use_engine
from veteran_care.models import (
    Account,
    AccountFacility,
    AccountKind,
    Facility,
    FacilityLevel,
    Role,
)


@pytest.fixture
async def scheduler(engine: AsyncEngine) -> AsyncIterator[tuple[Account, set[uuid.UUID]]]:
    """A committed scheduler of two facilities, logged out once an hour ago."""
    facilities = [
        Facility(
            code=f"A{uuid.uuid4().hex[:8].upper()}",
            name="Trạm Y tế",
            level=FacilityLevel.commune_health_station,
        )
        for _ in range(2)
    ]
    account = Account(
        kind=AccountKind.user,
        login=f"check-{uuid.uuid4().hex[:8]}",
        display_name="Điều phối viên",
        secret_hash="not-a-password",
        roles=["scheduler"],
        province_wide=False,
        tokens_valid_after=datetime.now(UTC) - timedelta(hours=1),
        version=1,
    )
    async with create_sessionmaker(engine)() as session:
        session.add_all([*facilities, account])
        await session.flush()
        session.add_all(
            AccountFacility(account_id=account.id, facility_id=f.id) for f in facilities
        )
        await session.commit()
    try:
        yield account, {f.id for f in facilities}
    finally:
        async with engine.begin() as connection:
            await connection.execute(
                delete(AccountFacility).where(AccountFacility.account_id == account.id)
            )
            await connection.execute(delete(Account).where(Account.id == account.id))
            await connection.execute(
                delete(Facility).where(Facility.id.in_([f.id for f in facilities]))
            )


async def test_the_check_reads_the_accounts_roles_and_facilities(
    engine: AsyncEngine, scheduler: tuple[Account, set[uuid.UUID]]
) -> None:
    account, facility_ids = scheduler
    claims = AccessClaims(account.id, datetime.now(UTC).timestamp(), "jti")
    found = await read_principal(create_sessionmaker(engine, autocommit=True), claims)
    assert isinstance(found, Principal)
    assert (found.kind, found.login, found.roles) == ("user", account.login, {Role.scheduler})
    assert found.province_wide is False
    assert found.facility_ids == facility_ids
    assert len(facility_ids) == 2
    assert all(type(f) is uuid.UUID for f in found.facility_ids)
    gone = AccessClaims(uuid.uuid4(), claims.issued_at, "jti")
    assert await read_principal(create_sessionmaker(engine, autocommit=True), gone) is None


async def test_the_served_check_refuses_a_deactivated_or_logged_out_account(
    settings: Settings, engine: AsyncEngine, scheduler: tuple[Account, set[uuid.UUID]]
) -> None:
    account, facility_ids = scheduler
    app = create_app(settings)
    use_engine(app, engine)
    issued = datetime.now(UTC)
    token = issue_access_token(settings.secret_key, account.id, issued, 5)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        me = await client.get("/api/v1/auth/me")
        assert me.status_code == 200, me.text
        assert me.json()["facility_ids"] == sorted(str(f) for f in facility_ids)

        async def change(**values: object) -> None:
            async with engine.begin() as connection:
                await connection.execute(
                    update(Account).where(Account.id == account.id).values(**values)
                )

        await change(active=False)
        assert (await client.get("/api/v1/auth/me")).status_code == 401
        await change(active=True, tokens_valid_after=issued + timedelta(seconds=1))
        assert (await client.get("/api/v1/auth/me")).status_code == 401
        await change(tokens_valid_after=None)
        assert (await client.get("/api/v1/auth/me")).status_code == 200
