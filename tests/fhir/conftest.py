"""A demo beneficiary with cards, two checkups with results and diagnoses, a conclusion and
dispenses; another person at the same facilities (who must never leak into the first's record)."""

import importlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from tests.pharmacy.test_stock import dispense, receive
from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from veteran_care.kit.clock import today
from veteran_care.models import Role

FHIR = "/fhir/r4"
FHIR_JSON = "application/fhir+json"


def validate(resource: dict[str, Any]) -> Any:
    """Parse with fhir.resources (R4B) and check the round trip gives back the same JSON."""
    module = importlib.import_module(f"fhir.resources.R4B.{resource['resourceType'].lower()}")
    model = getattr(module, resource["resourceType"])
    parsed = model.model_validate(resource)
    again = model.model_validate_json(parsed.model_dump_json())
    assert again.model_dump(mode="json") == parsed.model_dump(mode="json")
    return parsed


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    validate(bundle)
    return [e["resource"] for e in bundle.get("entry", [])]


@dataclass
class Record:
    person: dict[str, Any]
    other: dict[str, Any]
    clinics: list[dict[str, Any]]
    checkups: list[dict[str, Any]]
    dispenses: list[dict[str, Any]]
    medicine: dict[str, Any]


VITALS = {
    "systolic_mmhg": 150,
    "diastolic_mmhg": 95,
    "heart_rate_bpm": 78,
    "temperature_c": 36.8,
    "weight_kg": 58.0,
    "height_cm": 160.0,
    "glucose_mmol_l": 6.1,
    "findings": "Tim đều, phổi không ran.",
}


async def _examine(
    clinician: httpx.AsyncClient, checkup: dict[str, Any], code: str, body: dict
) -> None:
    appointment = next(a["id"] for a in checkup["appointments"] if a["specialty_code"] == code)
    response = await clinician.post(f"/api/v1/appointments/{appointment}/result", json=body)
    assert response.status_code == 201, response.text


@pytest.fixture
async def record(client: httpx.AsyncClient, client_for) -> Record:
    first = await make_clinic(client, days=1)
    second = await make_clinic(client, days=1)
    person = await person_with_card(
        client,
        full_name="Đặng Văn Ân",
        birth_date="1948-03-02",
        birth_year=None,
        categories=[
            {"code": "wounded-soldier", "disability_rate": 61, "recognition_date": "1975-05-01"},
            {"code": "veteran"},
        ],
    )
    year = today().year
    old = await client.post(
        f"/api/v1/beneficiaries/{person['id']}/cards",
        json={
            "number": f"CB211{person['bhxh_number']}",
            "valid_from": date(year - 3, 1, 1).isoformat(),
            "valid_to": date(year - 2, 12, 31).isoformat(),
            "registration_facility_code": "11001",
        },
    )
    assert old.status_code == 201, old.text
    other = await person_with_card(client, full_name="Lò Văn Pọm")
    one = await book(client, first, person, day(0), ["internal-medicine", "ophthalmology"])
    two = await book(client, second, person, day(0), ["ultrasound"])
    theirs = await book(client, first, other, day(0), ["internal-medicine"])
    for response in (one, two, theirs):
        assert response.status_code == 201, response.text
    checkups = [one.json(), two.json()]
    clinician = await client_for(Role.clinician)
    await _examine(
        clinician,
        checkups[0],
        "internal-medicine",
        {
            **VITALS,
            "diagnoses": [
                {"code": "I10", "principal": True},
                {"code": "E11.9", "principal": False},
            ],
        },
    )
    await _examine(
        clinician,
        checkups[0],
        "ophthalmology",
        {
            "visual_acuity_left": 0.5,
            "visual_acuity_right": 0.8,
            "diagnoses": [{"code": "H25.9", "principal": True}],
        },
    )
    await _examine(
        clinician,
        checkups[1],
        "ultrasound",
        {"findings": "Gan nhiễm mỡ độ I.", "diagnoses": [{"code": "K76.0", "principal": True}]},
    )
    await _examine(
        clinician,
        theirs.json(),
        "internal-medicine",
        {**VITALS, "diagnoses": [{"code": "J45.9", "principal": True}]},
    )
    concluded = await clinician.put(
        f"/api/v1/checkups/{checkups[0]['id']}/conclusion",
        json={"health_class": "III", "conclusion": "Tăng huyết áp", "recommendations": "Tái khám"},
    )
    assert concluded.status_code == 200, concluded.text
    pharmacist = await client_for(Role.pharmacist)
    medicines = (await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})).json()
    medicine = medicines["items"][0]
    await receive(pharmacist, first, medicine, "L1", day(300), 50)
    given = []
    for who, checkup_id in ((person, checkups[0]["id"]), (person, None), (other, None)):
        extra = {"checkup_id": checkup_id} if checkup_id else {}
        response = await dispense(pharmacist, first, medicine, who, 2, **extra)
        assert response.status_code == 201, response.text
        given.append(response.json())
    return Record(person, other, [first, second], checkups, given[:2], medicine)
