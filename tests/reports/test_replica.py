"""Reports off the primary (decision 0056), against a real streaming replica: a primary of the
test's own (``initdb`` in a temporary folder, on a free port), a standby made from it by
``pg_basebackup -R`` and started on another port. The shared server on 5432 is never touched.

What a department officer would notice: a report reads the replica (a write the replica has not
replayed is not counted) and its pull is audited on the primary; an idle primary does not make
the replica look behind; a replica further behind than allowed either says how old its data is
(JSON field, header, the file's title block) or is passed over for the primary, as configured;
a replica that is down, or stopped in the middle of a report, gives the primary's figures or a
clear 503, never a 500.
"""

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.conftest import TEST_SECRET
from tests.factories import beneficiary_payload
from tests.faults.database import (
    PrivateServer,
    fetchval,
    private_postgresql,
    standby_of,
    wait_caught_up,
)
from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine
from veteran_care.db.session import write_session
from veteran_care.identity.passwords import hash_secret
from veteran_care.identity.tokens import issue_access_token
from veteran_care.main import create_app, use_engine
from veteran_care.models import Account, AccountKind, Role
from veteran_care.replica import AS_OF_HEADER, ReplicaFailed, open_replica

pytestmark = pytest.mark.slow

COVERAGE = "/api/v1/reports/coverage"


@dataclass
class Cluster:
    primary: PrivateServer
    standby: PrivateServer

    def dsn(self, server: PrivateServer) -> str:
        return server.url.replace("+asyncpg", "")


async def _wait_streaming(cluster: Cluster) -> None:
    await wait_caught_up(cluster.primary, cluster.standby)


@pytest.fixture(scope="module")
def cluster(backend: str) -> Iterator[Cluster]:
    if backend != "postgresql":
        pytest.skip("a streaming replica is PostgreSQL's (runs in the PostgreSQL suite)")
    with private_postgresql() as primary:
        migrate.upgrade(primary.url)
        standby = standby_of(primary)
        try:
            cluster = Cluster(primary, standby)
            asyncio.run(_wait_streaming(cluster))
            yield cluster
        finally:
            if standby.is_running():
                standby.stop("immediate")
            shutil.rmtree(standby.folder, ignore_errors=True)


@pytest.fixture
async def live(cluster: Cluster) -> AsyncIterator[Cluster]:
    """The cluster as each test must find it: standby up, replaying, caught up."""
    if not cluster.standby.is_running():
        cluster.standby.start()
    await fetchval(cluster.dsn(cluster.standby), "SELECT pg_wal_replay_resume()")
    await _wait_streaming(cluster)
    yield cluster
    if not cluster.standby.is_running():
        await asyncio.to_thread(cluster.standby.start)
    await fetchval(cluster.dsn(cluster.standby), "SELECT pg_wal_replay_resume()")


Api = Callable[..., Any]


@pytest.fixture
async def api_for(live: Cluster, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """An admin's client of an app on the primary whose reports read the standby."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    async def make(when_behind: str = "label", max_lag: float = 60.0) -> httpx.AsyncClient:
        settings = Settings(
            database_url=live.primary.url,
            report_database_url=live.standby.url,
            report_replica_when_behind=when_behind,  # type: ignore[arg-type]
            report_replica_max_lag_seconds=max_lag,
            environment="test",
            secret_key=TEST_SECRET,
            data_dir=tmp_path,
            default_language="en",
            messages_worker_in_serve=False,
        )
        app = create_app(settings)
        use_engine(app, create_engine(settings))
        app.state.report_replica = open_replica(settings)
        async with write_session(app.state.sessionmaker) as session:
            account = Account(
                kind=AccountKind.user,
                login=f"admin-{uuid.uuid4().hex[:8]}",
                display_name="Cán bộ Sở",
                secret_hash=hash_secret("correct horse battery staple"),
                roles=[Role.admin.value],
                province_wide=True,
            )
            session.add(account)
        token = issue_access_token(
            settings.secret_key, account.id, datetime.now(UTC), settings.access_token_minutes
        )
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        )
        client.replica = app.state.report_replica  # type: ignore[attr-defined]
        opened.append((client, app))
        return client

    yield make
    for client, app in opened:
        await client.aclose()
        await app.state.report_replica.engine.dispose()
        await app.state.engine.dispose()


async def _register(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/beneficiaries", json=beneficiary_payload())
    assert response.status_code == 201, response.text


async def _active_on_primary(cluster: Cluster) -> int:
    sql = (
        "SELECT count(*) FROM beneficiaries b WHERE b.status = 'active' AND EXISTS "
        "(SELECT FROM beneficiary_category_memberships m WHERE m.beneficiary_id = b.id)"
    )
    return int(await fetchval(cluster.dsn(cluster.primary), sql))


async def _active_in_report(api: httpx.AsyncClient) -> int:
    response = await api.get(COVERAGE)
    assert response.status_code == 200, response.text
    return int(response.json()["total"]["active"])


async def _pause_replay(cluster: Cluster) -> None:
    await fetchval(cluster.dsn(cluster.standby), "SELECT pg_wal_replay_pause()")


async def test_a_report_reads_the_replica_and_its_pull_is_audited_on_the_primary(
    live: Cluster, api_for: Api
) -> None:
    api = await api_for("label", 60.0)
    await _register(api)
    await _wait_streaming(live)
    replayed = await _active_on_primary(live)
    exports = "SELECT count(*) FROM audit_events WHERE action = 'export'"
    pulls = await fetchval(live.dsn(live.primary), exports)

    await _pause_replay(live)
    await _register(api)  # committed on the primary, not replayed on the standby

    response = await api.get(COVERAGE)
    assert response.status_code == 200, response.text
    assert response.json()["total"]["active"] == replayed  # the replica's figure
    assert await _active_on_primary(live) == replayed + 1
    # A second old: within the 60 s allowed, the report is current and says nothing more.
    assert AS_OF_HEADER not in response.headers
    assert response.json()["data_as_of"] is None
    assert await fetchval(live.dsn(live.primary), exports) == pulls + 1


async def test_an_idle_primary_does_not_make_the_replica_look_behind(
    live: Cluster, api_for: Api
) -> None:
    api = await api_for("label", 1.0)
    await _register(api)
    await _wait_streaming(live)
    await asyncio.sleep(2.5)  # no write on the primary meanwhile
    since = await fetchval(live.dsn(live.standby), "SELECT now() - pg_last_xact_replay_timestamp()")
    assert since > timedelta(seconds=1)  # what the replay time alone would call a lag

    response = await api.get(COVERAGE)
    assert response.status_code == 200, response.text
    assert AS_OF_HEADER not in response.headers
    assert response.json()["data_as_of"] is None
    assert response.json()["total"]["active"] == await _active_on_primary(live)


async def test_a_replica_behind_says_how_old_its_data_is_or_gives_way_to_the_primary(
    live: Cluster, api_for: Api
) -> None:
    labelled, fresh = await api_for("label", 1.0), await api_for("primary", 1.0)
    await _register(labelled)
    await _wait_streaming(live)
    replayed = await _active_on_primary(live)
    await _pause_replay(live)
    await _register(labelled)
    await asyncio.sleep(1.5)

    response = await labelled.get(COVERAGE)
    assert response.status_code == 200, response.text
    as_of = datetime.fromisoformat(response.json()["data_as_of"])
    assert datetime.now(UTC) - as_of > timedelta(seconds=1)
    header = datetime.fromisoformat(response.headers[AS_OF_HEADER])
    assert abs(header - as_of) < timedelta(seconds=1)
    assert response.json()["total"]["active"] == replayed

    sheet = await labelled.get(COVERAGE, params={"format": "csv"})
    assert sheet.status_code == 200, sheet.text
    assert AS_OF_HEADER in sheet.headers
    title_block = sheet.text.splitlines()[:5]
    assert any("Data as of" in line and "behind" in line for line in title_block), title_block

    yearly = await labelled.get("/api/v1/reports/yearly-checks", params={"year": 2026})
    assert yearly.status_code == 200, yearly.text
    assert yearly.json()["data_as_of"] is not None

    # Configured to give way: the primary's figures, nothing said about age.
    response = await fresh.get(COVERAGE)
    assert response.status_code == 200, response.text
    assert response.json()["total"]["active"] == replayed + 1
    assert AS_OF_HEADER not in response.headers
    assert response.json()["data_as_of"] is None


def _is_replica_503(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["code"] == "replica-unavailable"
        and response.headers.get("retry-after", "").isdigit()
    )


async def test_a_replica_down_gives_the_primary_or_a_clear_503(live: Cluster, api_for: Api) -> None:
    labelled, fresh = await api_for("label"), await api_for("primary")
    assert await _active_in_report(labelled) == await _active_on_primary(live)  # pools warm
    await asyncio.to_thread(live.standby.stop, "fast")

    assert _is_replica_503(await labelled.get(COVERAGE))
    assert _is_replica_503(await labelled.get(COVERAGE, params={"format": "xlsx"}))
    assert await _active_in_report(fresh) == await _active_on_primary(live)


@pytest.mark.parametrize("when_behind", ["primary", "label"])
async def test_the_replica_stopped_in_the_middle_of_a_report(
    live: Cluster, api_for: Api, when_behind: str
) -> None:
    api = await api_for(when_behind)
    await _register(api)
    await _wait_streaming(live)
    statements: list[str] = []

    def stop_at_the_third(*_: Any) -> None:
        statements.append("sent")
        if len(statements) == 3:  # the age check and two of the report's reads have run
            live.standby.stop("immediate")

    replica = api.replica
    event.listen(replica.engine.sync_engine, "before_cursor_execute", stop_at_the_third)
    response = await api.get(COVERAGE, params={"group_by": "commune"})

    assert len(statements) >= 3
    assert not live.standby.is_running()
    if when_behind == "primary":
        assert response.status_code == 200, response.text
        assert response.json()["total"]["active"] == await _active_on_primary(live)
    else:
        assert _is_replica_503(response), response.text


async def test_a_list_already_streaming_is_cut_off_when_its_replica_stops(
    live: Cluster, api_for: Api
) -> None:
    """The CSV person list streams after its headers are sent: a replica that stops then cannot
    be replaced by the primary, and the transfer fails rather than end as a file that looks
    whole (a real server drops the connection; in process the error reaches the client)."""
    api = await api_for("primary")
    await _register(api)
    await _wait_streaming(live)

    def stop_when_the_copy_starts(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if "datestyle" in statement:  # the stream's own session, after the response began
            live.standby.stop("immediate")

    event.listen(api.replica.engine.sync_engine, "before_cursor_execute", stop_when_the_copy_starts)
    with pytest.raises(ReplicaFailed):
        await api.get("/api/v1/reports/attendance/people", params={"format": "csv"})
    assert not live.standby.is_running()
