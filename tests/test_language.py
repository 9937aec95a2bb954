"""The language of what the API says: `Accept-Language: vi` or `en` chooses the problem's title,
detail and validation messages; without it, the configured default (vi for this province)."""

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import beneficiary_payload, create_facility
from tests.test_conventions import assert_problem
from veteran_care.config import Settings
from veteran_care.main import create_app
from veteran_care.models import Account, Role

MISSING = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
NOT_FOUND = {
    "vi": ("Không tìm thấy", f"Không tìm thấy người có công {MISSING}."),
    "en": ("Not Found", f"Beneficiary {MISSING} was not found."),
}


@pytest.fixture
async def client_with_default(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: Any,
    make_account: Any,
    token_for: Callable[[Account], str],
) -> AsyncIterator[Callable[..., Any]]:
    """An admin's client of an app whose `default_language` is the one given."""
    opened: list[httpx.AsyncClient] = []

    async def make(default_language: str, *, logged_in: bool = True) -> httpx.AsyncClient:
        app = create_app(settings.model_copy(update={"default_language": default_language}))
        app.state.engine = engine
        app.state.sessionmaker = app.state.account_sessionmaker = sessionmaker
        headers = {}
        if logged_in:
            account = await make_account(Role.admin, Role.scheduler)
            headers["Authorization"] = f"Bearer {token_for(account)}"
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
        )
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


def _said(response: httpx.Response, status: int, code: str) -> tuple[str, str]:
    body = assert_problem(response, status, code)
    return body["title"], body["detail"]


@pytest.mark.parametrize(
    ("default", "header", "language"),
    [
        ("vi", "vi", "vi"),
        ("vi", "en", "en"),
        ("vi", None, "vi"),  # no header: the default
        ("vi", "fr, en;q=0.5", "en"),
        ("vi", "de", "vi"),  # neither language asked for: the default
        ("en", None, "en"),  # a province that sets English
        ("en", "vi-VN,vi;q=0.9", "vi"),
    ],
)
async def test_a_404_speaks_the_language_asked_for(
    client_with_default: Any, default: str, header: str | None, language: str
) -> None:
    client = await client_with_default(default)
    headers = {"Accept-Language": header} if header else {}
    response = await client.get(f"/api/v1/beneficiaries/{MISSING}", headers=headers)
    assert _said(response, 404, "not-found") == NOT_FOUND[language]
    assert response.headers["content-language"] == language


async def test_a_409_in_vietnamese_and_english(client_with_default: Any) -> None:
    client = await client_with_default("vi")
    await create_facility(client, code="11091")
    body = {"code": "11091", "name": "Khác", "level": "military-hospital"}
    vi = await client.post("/api/v1/facilities", json=body)
    en = await client.post("/api/v1/facilities", json=body, headers={"Accept-Language": "en"})
    assert _said(vi, 409, "duplicate") == ("Xung đột", "Đã có cơ sở y tế mang mã 11091.")
    assert _said(en, 409, "duplicate") == ("Conflict", "A facility with code 11091 already exists.")
    assert vi.json()["existing_id"] == en.json()["existing_id"]  # the contract does not change


async def test_a_422_names_each_field_in_the_language_asked_for(client_with_default: Any) -> None:
    client = await client_with_default("vi")
    payload = beneficiary_payload(full_name="   ")
    del payload["sex"]
    payload["birth_year"] = 1800
    vi = (await client.post("/api/v1/beneficiaries", json=payload)).json()
    en = (
        await client.post("/api/v1/beneficiaries", json=payload, headers={"Accept-Language": "en"})
    ).json()
    assert (vi["title"], en["title"]) == ("Không xử lý được", "Unprocessable Entity")
    assert vi["detail"].startswith("Dữ liệu nhập không hợp lệ: body.")
    assert en["detail"].startswith("Invalid input: body.")
    vi_messages = {e["field"]: (e["type"], e["message"]) for e in vi["errors"]}
    en_messages = {e["field"]: (e["type"], e["message"]) for e in en["errors"]}
    assert vi_messages == {
        "body.full_name": ("value_error", "không được để trống"),
        "body.sex": ("missing", "Trường này là bắt buộc"),
        "body.birth_year": vi_messages["body.birth_year"],
    }
    assert en_messages["body.full_name"] == ("value_error", "must not be blank")
    assert en_messages["body.sex"] == ("missing", "Field required")
    # pydantic's own bound, with its value from the error's context, in both languages
    year_type, year_vi = vi_messages["body.birth_year"]
    assert year_type == "greater_than_equal"
    assert year_vi.startswith("Giá trị phải lớn hơn hoặc bằng ")
    assert en_messages["body.birth_year"][1] == year_vi.replace(
        "Giá trị phải lớn hơn hoặc bằng", "Input should be greater than or equal to"
    )


async def test_a_401_in_vietnamese_by_default(client_with_default: Any) -> None:
    client = await client_with_default("vi", logged_in=False)
    vi = await client.get("/api/v1/beneficiaries")
    en = await client.get("/api/v1/beneficiaries", headers={"Accept-Language": "en"})
    assert _said(vi, 401, "unauthorized") == (
        "Chưa xác thực",
        "Cần xác thực: hãy gửi bearer token lấy từ /api/v1/auth/token.",
    )
    assert _said(en, 401, "unauthorized") == (
        "Unauthorized",
        "Authentication required: send a bearer token from /api/v1/auth/token.",
    )
    assert vi.headers["www-authenticate"] == en.headers["www-authenticate"]


async def test_a_rule_with_values_is_translated_with_them(client_with_default: Any) -> None:
    """A detail with values: each value in its place, the codes untouched."""
    client = await client_with_default("vi")
    response = await client.post(
        "/api/v1/beneficiaries",
        json=beneficiary_payload(categories=[{"code": "no-such-category"}]),
    )
    body = assert_problem(response, 422, "unknown-code")
    assert body["detail"] == ("categories: mã diện người có công không xác định no-such-category.")
    assert body["field"] == "categories"
