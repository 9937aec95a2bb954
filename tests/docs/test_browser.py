"""``/docs`` and ``/redoc`` in a real headless browser (Debian's chromium), as someone on a
hospital intranet without Internet opens them: every request to another host than the server is
refused and recorded, and there must be none.

The server is ``veteran-care serve`` (uvicorn on 127.0.0.1, SQLite, the ``admin`` account that
``serve`` creates), reached under a host name as on such a network: Swagger UI treats
``localhost`` and ``127.0.0.1`` apart (its validator badge, for one, stays away from them).

Outside CI, without /usr/bin/chromium (``apt-get install chromium``), these tests skip with that
reason; with ``CI=true`` they fail.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from tests.faults.database import skip_or_fail
from tests.faults.server import ADMIN_PASSWORD, ServerProcess

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
HOST = "veteran-care.intranet"
# Rendering the whole document takes Swagger UI and ReDoc a few seconds on a busy machine.
RENDER_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("browser")
    server = ServerProcess(f"sqlite+aiosqlite:///{workdir / 'docs.db'}", workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        skip_or_fail(f"no chromium at {CHROMIUM}: apt-get install -y chromium chromium-driver")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Offline:
    """A page whose every request to another host than ``origin`` is aborted and recorded."""

    origin: str
    requested: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    # What the page's Content-Security-Policy stopped before it became a request.
    blocked: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        self.requested.append(url)
        if urlsplit(url).netloc == self.origin:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("internetdisconnected")

    def console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.blocked.append(message.text)


@pytest.fixture
def offline(browser: Browser, server: ServerProcess) -> Iterator[tuple[Page, Offline]]:
    origin = f"{HOST}:{server.port}"
    network = Offline(origin)
    context = browser.new_context(base_url=f"http://{origin}")
    context.route("**/*", network.route)
    page = context.new_page()
    page.on("console", network.console)
    try:
        yield page, network
    finally:
        context.close()


def _log_in(page: Page) -> None:
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("#oauth_username").fill("admin")
    dialog.locator("#oauth_password").fill(ADMIN_PASSWORD)
    dialog.locator(".auth-btn-wrapper button.authorize").click()
    # Once logged in, the dialog offers to log out instead (its label: "Remove authorization").
    expect(dialog.locator("button", has_text="Logout")).to_be_visible()
    dialog.locator("button.btn-done").click()


def test_swagger_ui_lists_logs_in_and_runs_a_get_offline(offline: tuple[Page, Offline]) -> None:
    page, network = offline
    page.goto("/docs")
    create = page.locator("#operations-beneficiaries-create_beneficiary")
    expect(create).to_be_visible(timeout=RENDER_MS)
    assert page.locator(".opblock").count() > 50
    _log_in(page)
    me = page.locator("#operations-identity-me")
    me.locator(".opblock-summary-control").click()
    me.locator("button.try-out__btn", has_text="Try it out").click()
    me.locator("button.execute", has_text="Execute").click()
    answer = me.locator(".live-responses-table tr.response")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    expect(answer.locator(".response-col_description")).to_contain_text('"login": "admin"')
    assert network.refused == []
    assert network.blocked == []
    assert f"http://{network.origin}/api/v1/auth/token" in network.requested


def test_redoc_renders_the_operations_offline(offline: tuple[Page, Offline]) -> None:
    page, network = offline
    page.goto("/redoc")
    heading = page.get_by_role("heading", name="Who am I: the calling account")
    expect(heading).to_be_attached(timeout=RENDER_MS)
    page.locator("[data-item-id='tag/identity']").first.click()  # the menu's identity group
    page.locator("[data-item-id='tag/identity/operation/me']").first.click()
    expect(heading).to_be_in_viewport()
    expect(page.locator("[data-section-id='tag/identity/operation/me']")).to_contain_text(
        "/api/v1/auth/me"
    )
    assert network.refused == []
    # ReDoc's side menu always shows Redocly's logo from their CDN: the page's policy stops it
    # in the browser (the one thing it stops); no request leaves.
    assert all("cdn.redoc.ly" in message for message in network.blocked), network.blocked
