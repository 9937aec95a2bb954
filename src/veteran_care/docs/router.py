"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) with every script, style sheet and icon served by
the app itself, so that they open on a hospital intranet without Internet access (decision 0030).

The files come from the ``fastapi-offline`` package (Swagger UI 5 and ReDoc 2, kept up to date
there), mounted with Starlette's ``StaticFiles(packages=...)``; the pages are FastAPI's own
``get_swagger_ui_html`` and ``get_redoc_html`` pointed at them. No Google Fonts (ReDoc falls back
on the system's fonts), and no Swagger UI validator badge (it would load an image from
swagger.io for any document not served from localhost). ReDoc's side menu still shows Redocly's
logo from their CDN, whatever its options: the pages' Content-Security-Policy lets the browser
load nothing from anywhere but this server, so that the logo is not even asked for.
"""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
ASSETS_PACKAGE = ("fastapi_offline", "static")
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
ASSETS = (SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON)
# FastAPI's defaults, less the validator badge.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
# This server only. Inline: FastAPI's page starts Swagger UI with an inline script, and both
# apps style with inline styles; ReDoc's search runs in a worker made from a blob.
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)


def _root(request: Request) -> str:
    """The path a proxy mounts the app under, if any, that every URL of the page starts with."""
    root_path: str = request.scope.get("root_path", "")
    return root_path.rstrip("/")


def install_docs(app: FastAPI) -> frozenset[str]:
    """Add the two pages, Swagger UI's OAuth2 redirect page and the files they load; returns
    their paths (documentation, not API routes: the edge lets browsers cache them)."""
    openapi_url = app.openapi_url or "/openapi.json"

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/{SWAGGER_JS}",
            swagger_css_url=f"{root}{ASSETS_URL}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{root}{ASSETS_URL}/{FAVICON}",
            oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters={**SWAGGER_UI_PARAMETERS, **(app.swagger_ui_parameters or {})},
        )
        page.headers["Content-Security-Policy"] = POLICY
        return page

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/{REDOC_JS}",
            redoc_favicon_url=f"{root}{ASSETS_URL}/{FAVICON}",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = POLICY
        return page

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")
    assets = (f"{ASSETS_URL}/{name}" for name in ASSETS)
    return frozenset((DOCS_URL, REDOC_URL, OAUTH2_REDIRECT_URL, *assets))
