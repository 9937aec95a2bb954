"""A clinic with people booked today, and the PDF turned into text as a reader would see it."""

import io
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.scheduling.conftest import book, day, make_clinic, person_with_card, sessions_on
from veteran_care.config import Settings


def pdf_pages(response: httpx.Response) -> list[str]:
    """The text of each page of a PDF response (after checking it is one)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return [page.extract_text() for page in reader.pages]


@pytest.fixture
async def clinic(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_clinic(client, capacity=40, days=2)


@pytest.fixture
async def booked_today(client: httpx.AsyncClient, clinic: dict[str, Any]) -> list[dict[str, Any]]:
    """Three people booked today (morning) in every specialty; returns their checkups."""
    names = ["Lò Văn Pọm", "Đặng Thị Ánh", "Quàng Văn Ún"]
    checkups = []
    for number, name in enumerate(names):
        person = await person_with_card(
            client, full_name=name, phone=f"091234567{number}", birth_year=1948 + number
        )
        response = await book(client, clinic, person, day(0), part_of_day="morning")
        assert response.status_code == 201, response.text
        checkups.append(response.json())
    return checkups


async def session_of(
    client: httpx.AsyncClient, clinic: dict[str, Any], specialty: str
) -> dict[str, Any]:
    sessions = await sessions_on(client, clinic, day(0))
    return next(
        s for s in sessions if s["specialty_code"] == specialty and s["part_of_day"] == "morning"
    )


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    """Printouts are read in Vietnamese, the deployment's default; the English test asks."""
    return settings.model_copy(update={"default_language": "vi"})
