"""The documentation pages and the files they load, all from the app itself (no CDN): what a
browser on an intranet without Internet gets. tests/docs/test_browser.py opens them for real."""

import re
from typing import Any

import httpx
import pytest

from veteran_care.docs.router import ASSETS, ASSETS_URL

PAGES = ("/docs", "/redoc")
# Every URL a page loads: scripts, style sheets, icons, the document.
_URL = re.compile(r"""(?:src|href|spec-url)="([^"]*)"|\burl: '([^']*)'""")


def _urls(html: str) -> list[str]:
    return [a or b for a, b in _URL.findall(html)]


@pytest.mark.parametrize("page", PAGES)
async def test_a_page_names_only_the_apps_own_files(
    anon_client: httpx.AsyncClient, page: str
) -> None:
    response = await anon_client.get(page)
    assert response.status_code == 200
    urls = _urls(response.text)
    assert "/openapi.json" in urls
    assert len(urls) >= 3
    assert [url for url in urls if not url.startswith("/")] == []
    assert "fonts.googleapis.com" not in response.text
    for url in urls:
        if url.startswith("/"):
            assert (await anon_client.get(url)).status_code == 200, url


async def test_swagger_ui_has_no_validator_badge(anon_client: httpx.AsyncClient) -> None:
    # The badge is an image from swagger.io, shown for any document not served from localhost.
    page = (await anon_client.get("/docs")).text
    assert '"validatorUrl": null' in page


@pytest.mark.parametrize("page", PAGES)
async def test_a_page_lets_the_browser_load_nothing_from_elsewhere(
    anon_client: httpx.AsyncClient, page: str
) -> None:
    policy = (await anon_client.get(page)).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert not [d for d in directives.values() if "http" in d or "*" in d]


@pytest.mark.parametrize("name", ASSETS)
async def test_each_file_is_served_and_may_be_cached(
    anon_client: httpx.AsyncClient, name: str
) -> None:
    response = await anon_client.get(f"{ASSETS_URL}/{name}")
    assert response.status_code == 200
    assert len(response.content) > 1000
    assert "no-store" not in response.headers.get("cache-control", "")
    again = await anon_client.get(
        f"{ASSETS_URL}/{name}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


async def test_an_unknown_file_is_a_problem(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get(f"{ASSETS_URL}/nothing.js")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_swagger_ui_oauth2_redirect_page_answers(anon_client: httpx.AsyncClient) -> None:
    page = (await anon_client.get("/docs")).text
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in page
    response = await anon_client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert "oauth2" in response.text


async def test_the_files_are_counted_by_their_path_not_as_unmatched(
    anon_client: httpx.AsyncClient,
) -> None:
    await anon_client.get(f"{ASSETS_URL}/swagger-ui.css")
    metrics = (await anon_client.get("/metrics")).text
    assert f'route="{ASSETS_URL}/swagger-ui.css",status="200"' in metrics


async def test_behind_a_proxy_the_pages_name_its_prefix(app: Any) -> None:
    transport = httpx.ASGITransport(app=app, root_path="/care")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for page in PAGES:
            urls = _urls((await client.get(f"/care{page}")).text)
            assert f"/care{ASSETS_URL}/favicon.png" in urls
            assert "/care/openapi.json" in urls
