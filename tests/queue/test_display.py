"""The waiting hall's display in a real headless browser (Debian's chromium): it shows each
line's numbers, changes by itself when a desk calls the next number, names nobody, and loads
nothing from anywhere but the server.

Outside CI, without /usr/bin/chromium, these tests skip with that reason; with ``CI=true`` they
fail (as tests/docs/test_browser.py)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Route, expect, sync_playwright

from tests.factories import beneficiary_payload
from tests.faults.database import skip_or_fail
from tests.faults.server import ServerProcess
from veteran_care.kit import clock

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
EVERY_DAY = [
    {"weekday": d, "part_of_day": p} for d in range(1, 8) for p in ("morning", "afternoon")
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("display")
    server = ServerProcess(f"sqlite+aiosqlite:///{workdir / 'display.db'}", workdir)
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
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _drive_day(api: httpx.Client) -> tuple[dict[str, Any], str]:
    """A facility with an ultrasound line today and two people checked in: (facility, session)."""
    facility = _ok(
        api.post(
            "/api/v1/facilities",
            json={
                "code": "T9001",
                "name": "Trạm Y tế Mường Phăng",
                "level": "commune-health-station",
                "commune_code": "03325",
            },
        )
    )
    _ok(
        api.post(
            f"/api/v1/facilities/{facility['id']}/services",
            json={"specialty_code": "ultrasound", "timetable": EVERY_DAY, "default_capacity": 9},
        )
    )
    today = clock.today().isoformat()  # the server's time zone, as the app counts days
    _ok(
        api.post(
            "/api/v1/sessions/generate",
            json={"facility_id": facility["id"], "date_from": today, "date_to": today},
        )
    )
    session_id = ""
    for number in range(2):
        person = _ok(
            api.post(
                "/api/v1/beneficiaries",
                json=beneficiary_payload(full_name=f"Lò Văn Bí Mật {number}"),
            )
        )
        checkup = _ok(
            api.post(
                "/api/v1/checkups",
                json={
                    "beneficiary_id": person["id"],
                    "facility_id": facility["id"],
                    "date": today,
                    "specialty_codes": ["ultrasound"],
                    "part_of_day": "morning",
                    "card_override_reason": "display test",
                },
            )
        )
        _ok(api.post(f"/api/v1/checkups/{checkup['id']}/check-in"))
        session_id = checkup["appointments"][0]["session_id"]
    return facility, session_id


def test_the_display_changes_when_the_next_number_is_called(
    server: ServerProcess, browser: Browser
) -> None:
    headers = {"Authorization": f"Bearer {server.token()}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as api:
        facility, session_id = _drive_day(api)
        context = browser.new_context(base_url=server.base_url)
        outside: list[str] = []
        blocked: list[str] = []

        def only_the_server(route: Route) -> None:
            if route.request.url.startswith(server.base_url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_the_server)
        page = context.new_page()

        def console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                blocked.append(message.text)

        page.on("console", console)
        try:
            page.goto(f"/display/queue?facility={facility['code']}")
            row = page.locator("tr[data-specialty='ultrasound']")
            expect(row.locator("td.current")).to_have_text("—", timeout=15_000)
            # Vietnamese, the server's language, whatever the screen's browser asks for.
            expect(row.locator("td.specialty")).to_contain_text("Siêu âm")
            expect(row.locator("td.next")).to_have_text("1  2")
            expect(row.locator("td.waiting")).to_have_text("2")
            _ok(api.post(f"/api/v1/sessions/{session_id}/queue/call-next"))
            expect(row.locator("td.current")).to_have_text("1", timeout=10_000)
            expect(row.locator("td.waiting")).to_have_text("1")
            assert "Bí Mật" not in page.content()
            assert outside == []
            assert blocked == []
        finally:
            context.close()
