"""Small typed factories that go through the API, as a client would."""

import itertools
from typing import Any

import httpx

_serial = itertools.count(1)


def unique_digits(length: int, prefix: str = "") -> str:
    """A fresh identifier of ``length`` digits, unique within the test run."""
    n = next(_serial)
    return (prefix + str(n).zfill(length))[-length:] if prefix else str(n).zfill(length)


def beneficiary_payload(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    payload: dict[str, Any] = {
        "full_name": "Lò Văn Pọm",
        "birth_year": 1950,
        "sex": "male",
        "ethnicity_code": "03",
        "national_id": "011050" + str(n).zfill(6),
        "bhxh_number": "11" + str(n).zfill(8),
        "commune_code": "03127",
        "categories": [{"code": "veteran"}],
    }
    payload.update(overrides)
    return payload


async def create_beneficiary(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/beneficiaries", json=beneficiary_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_facility(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    payload: dict[str, Any] = {
        "code": "T" + str(n).zfill(4),
        "name": f"Trạm Y tế số {n}",
        "level": "commune-health-station",
        "commune_code": "03325",
    }
    payload.update(overrides)
    response = await client.post("/api/v1/facilities", json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
