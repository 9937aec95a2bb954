"""Failed logins slow down the address they come from, never the account's owner elsewhere:
growing delays per (login, client address), a success clears its pair, quiet rows are forgotten."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.test_conventions import assert_problem
from veteran_care.identity import logins
from veteran_care.models import AuditEvent, LoginThrottle, Role

TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.66"
DESK = "10.20.0.15"


class Clock:
    """The time the login code sees; moved by the tests instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(logins, "utcnow", lambda: clock.now)
    return clock


@pytest.fixture
async def from_address(app: Any) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """An anonymous client calling from this address (as request.client.host)."""
    opened: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
    )


async def fail(client: httpx.AsyncClient, username: str, times: int) -> list[int]:
    return [(await login(client, username, "wrong guess")).status_code for _ in range(times)]


def retry_after(response: httpx.Response) -> int:
    assert_problem(response, 429, "login-delayed")
    return int(response.headers["retry-after"])


async def test_an_address_waits_longer_after_each_failure(
    from_address, make_account, clock: Clock, session: AsyncSession
) -> None:
    await make_account(Role.clinician, login="giang.a.pao")
    attacker = from_address(ATTACKER)
    assert await fail(attacker, "giang.a.pao", 4) == [400] * 4
    fifth = await login(attacker, "giang.a.pao", "wrong guess")
    assert retry_after(fifth) == 1
    assert "wrong" in fifth.json()["detail"]
    # While the address waits, even the right password is refused without being checked.
    assert retry_after(await login(attacker, "giang.a.pao", PASSWORD)) == 1
    waits = []
    for _ in range(12):
        clock.advance(waits[-1] if waits else 1)
        waits.append(retry_after(await login(attacker, "giang.a.pao", "wrong guess")))
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    # A delay ends: the address may try again, and the right password logs in.
    clock.advance(900)
    assert (await login(attacker, "giang.a.pao", PASSWORD)).status_code == 200
    events = (
        await session.execute(
            select(AuditEvent.action, AuditEvent.status_code, AuditEvent.client_address).where(
                AuditEvent.actor_login == "giang.a.pao"
            )
        )
    ).all()
    failures = [e for e in events if e.action == "login_failure"]
    assert len(failures) == 4 + 1 + 1 + 12
    assert {e.client_address for e in events} == {ATTACKER}
    assert [e.action for e in events].count("lockout") == 13
    assert [e.action for e in events].count("login") == 1


async def test_the_same_name_from_another_address_is_not_slowed_down(
    from_address, make_account, clock: Clock
) -> None:
    await make_account(Role.scheduler, login="lo.van.pom")
    attacker = from_address(ATTACKER)
    assert await fail(attacker, "lo.van.pom", 8) == [400] * 4 + [429] * 4
    assert retry_after(await login(attacker, "lo.van.pom", PASSWORD)) == 1
    desk = from_address(DESK)
    # The owner's own typos count from zero at the desk, and the right password works.
    assert await fail(desk, "lo.van.pom", 2) == [400, 400]
    response = await login(desk, "lo.van.pom", PASSWORD)
    assert response.status_code == 200, response.text
    assert retry_after(await login(attacker, "lo.van.pom", PASSWORD)) == 1


async def test_the_admin_logs_in_while_another_address_attacks_the_account(
    from_address, make_account, clock: Clock
) -> None:
    await make_account(Role.admin, login="quan.tri")
    attacker = from_address(ATTACKER)
    statuses = await fail(attacker, "quan.tri", 50)
    assert statuses[:4] == [400] * 4
    assert set(statuses[4:]) == {429}
    admin = from_address("10.20.0.2")
    response = await login(admin, "quan.tri", PASSWORD)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    users = await admin.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200, users.text


async def test_a_success_clears_its_own_pair_only(
    from_address, make_account, clock: Clock, session: AsyncSession
) -> None:
    await make_account(Role.pharmacist, login="sung.thi.my")
    attacker, desk = from_address(ATTACKER), from_address(DESK)
    await fail(attacker, "sung.thi.my", 5)
    assert await fail(desk, "sung.thi.my", 4) == [400] * 4
    assert (await login(desk, "sung.thi.my", PASSWORD)).status_code == 200
    # The desk's count is gone: four more typos are plain 400s, the fifth starts a wait.
    assert await fail(desk, "sung.thi.my", 4) == [400] * 4
    assert retry_after(await login(desk, "sung.thi.my", "wrong guess")) == 1
    assert retry_after(await login(attacker, "sung.thi.my", PASSWORD)) == 1
    # A waiting pair that gets the password right once its wait is over is cleared too.
    clock.advance(1)
    assert (await login(desk, "sung.thi.my", PASSWORD)).status_code == 200
    assert (await login(desk, "sung.thi.my", "wrong guess")).status_code == 400
    rows = (
        await session.execute(
            select(LoginThrottle.client_address, LoginThrottle.failures).where(
                LoginThrottle.login == "sung.thi.my"
            )
        )
    ).all()
    assert sorted(tuple(r) for r in rows) == sorted([(ATTACKER, 5), (DESK, 1)])


async def test_unknown_names_are_throttled_like_known_ones(from_address, clock: Clock) -> None:
    attacker = from_address(ATTACKER)
    assert await fail(attacker, "ghost.user", 4) == [400] * 4
    assert retry_after(await login(attacker, "ghost.user", "wrong guess")) == 1


async def test_machine_clients_are_throttled_per_address(
    from_address, make_account, clock: Clock
) -> None:
    from veteran_care.models import AccountKind

    await make_account(Role.reporter, login="so-noi-vu", kind=AccountKind.client, secret="s" * 32)
    attacker, system = from_address(ATTACKER), from_address("10.30.0.9")
    form = {"grant_type": "client_credentials", "client_id": "so-noi-vu"}
    for _ in range(6):
        last = await attacker.post(TOKEN_URL, data=form | {"client_secret": "guess"})
    assert retry_after(last) == 1
    ok = await system.post(TOKEN_URL, data=form | {"client_secret": "s" * 32})
    assert ok.status_code == 200, ok.text


async def test_quiet_rows_are_forgotten_and_purged(
    from_address, clock: Clock, session: AsyncSession, settings
) -> None:
    attacker = from_address(ATTACKER)
    for name in ("ghost.one", "ghost.two", "ghost.three"):
        await fail(attacker, name, 3)
    await fail(attacker, "ghost.four", 9)
    clock.advance(settings.login_failures_kept_hours * 3600 + 1)
    # An old count is not carried on: the pair starts afresh (400, not a wait).
    assert await fail(attacker, "ghost.four", 1) == [400]
    # Any failure deletes a batch of rows quiet for longer than the window.
    await fail(from_address(DESK), "someone.else", 1)
    rows = (
        await session.execute(
            select(LoginThrottle.login, LoginThrottle.failures).order_by(LoginThrottle.login)
        )
    ).all()
    assert [tuple(r) for r in rows] == [("ghost.four", 1), ("someone.else", 1)]
    assert await session.scalar(select(func.count()).select_from(LoginThrottle)) == 2


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.66", "203.0.113.66"),
        ("::ffff:203.0.113.66", "203.0.113.66"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("testclient", "testclient"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_subscriber_counts_as_one_address(address: str | None, key: str) -> None:
    assert logins.address_key(address) == key


def test_the_delay_doubles_from_one_second_up_to_the_cap(settings) -> None:
    delays = [logins.delay(settings, failures) for failures in range(1, 20)]
    seconds = [d.total_seconds() if d else 0 for d in delays]
    assert seconds[:4] == [0, 0, 0, 0]
    assert seconds[4:10] == [1, 2, 4, 8, 16, 32]
    assert max(seconds) == settings.lockout_minutes * 60
    assert logins.delay(settings, 10**6) == timedelta(minutes=settings.lockout_minutes)
