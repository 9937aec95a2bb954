"""Results: vitals in plausible ranges, ICD-10 diagnoses, fulfilment, amendments, timeline."""

from typing import Any

import httpx
import pytest

from tests.document import schema_accepts
from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.models import Role


@pytest.fixture
async def clinic(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_clinic(client, days=3)


@pytest.fixture
async def clinician(client_for, clinic) -> httpx.AsyncClient:
    return await client_for(Role.clinician, province_wide=False, facility_ids=[clinic["id"]])


@pytest.fixture
async def today_checkup(client: httpx.AsyncClient, clinic) -> dict[str, Any]:
    person = await person_with_card(client)
    response = await book(client, clinic, person, day(0))
    assert response.status_code == 201, response.text
    return response.json()


def _appointment(checkup: dict[str, Any], code: str) -> str:
    return next(a["id"] for a in checkup["appointments"] if a["specialty_code"] == code)


VITALS = {
    "systolic_mmhg": 150,
    "diastolic_mmhg": 95,
    "heart_rate_bpm": 78,
    "temperature_c": 36.8,
    "weight_kg": 58.0,
    "height_cm": 160.0,
    "glucose_mmol_l": 6.1,
}


async def test_recording_a_result_fulfils_the_appointment(clinician, today_checkup) -> None:
    appointment = _appointment(today_checkup, "internal-medicine")
    response = await clinician.post(
        f"/api/v1/appointments/{appointment}/result",
        json={
            **VITALS,
            "findings": "Tim đều, phổi không ran.",
            "diagnoses": [
                {"code": "I10", "principal": True},
                {"code": "E11.9", "principal": False},
            ],
        },
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["status"] == "final"
    assert result["bmi"] == "22.7"
    assert result["diagnoses"][0] == {
        "code": "I10",
        "title": "Essential (primary) hypertension",
        "principal": True,
    }
    assert result["diagnoses"][1]["title"].startswith("Type 2 diabetes mellitus")
    checkup = (await clinician.get(f"/api/v1/checkups/{today_checkup['id']}")).json()
    statuses = {a["specialty_code"]: a["status"] for a in checkup["appointments"]}
    assert statuses["internal-medicine"] == "fulfilled"
    assert checkup["status"] == "arrived"
    again = await clinician.post(f"/api/v1/appointments/{appointment}/result", json=VITALS)
    assert_problem(again, 409, "result-exists")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systolic_mmhg", 900),
        ("heart_rate_bpm", 0),
        ("temperature_c", 48.5),
        ("weight_kg", -3),
        ("visual_acuity_left", 12),
    ],
)
async def test_an_implausible_value_is_a_422_naming_the_field(
    clinician, today_checkup, field: str, value: float
) -> None:
    appointment = _appointment(today_checkup, "internal-medicine")
    response = await clinician.post(
        f"/api/v1/appointments/{appointment}/result", json={field: value}
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == f"body.{field}"


async def test_diastolic_must_be_below_systolic(clinician, today_checkup) -> None:
    appointment = _appointment(today_checkup, "internal-medicine")
    response = await clinician.post(
        f"/api/v1/appointments/{appointment}/result",
        json={"systolic_mmhg": 90, "diastolic_mmhg": 120},
    )
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body.diastolic_mmhg"]


async def test_an_unknown_icd10_code_is_refused(clinician, today_checkup) -> None:
    appointment = _appointment(today_checkup, "internal-medicine")
    response = await clinician.post(
        f"/api/v1/appointments/{appointment}/result",
        json={"diagnoses": [{"code": "Z99.99", "principal": True}]},
    )
    body = assert_problem(response, 422, "unknown-icd10-code")
    assert body["field"] == "diagnoses.0.code"


async def test_exactly_one_principal_diagnosis(clinician, today_checkup) -> None:
    appointment = _appointment(today_checkup, "internal-medicine")
    url = f"/api/v1/appointments/{appointment}/result"
    for diagnoses in (
        [{"code": "I10"}, {"code": "E11.9"}],
        [{"code": "I10", "principal": True}, {"code": "E11.9", "principal": True}],
        [{"code": "I10", "principal": False}],
    ):
        response = await clinician.post(url, json={"diagnoses": diagnoses})
        body = assert_problem(response, 422, "validation-error")
        assert "mark exactly one diagnosis as principal" in body["errors"][0]["message"]
        assert [e["field"] for e in body["errors"]] == ["body.diagnoses"]


async def test_a_lone_diagnosis_is_the_principal_one(clinician, today_checkup) -> None:
    """A body built from the schema's defaults (one diagnosis, `principal` left out) is valid."""
    body = {"diagnoses": [{"code": "I10"}]}
    assert schema_accepts("ResultCreate", body)
    appointment = _appointment(today_checkup, "internal-medicine")
    url = f"/api/v1/appointments/{appointment}/result"
    response = await clinician.post(url, json=body)
    assert response.status_code == 201, response.text
    assert [(d["code"], d["principal"]) for d in response.json()["diagnoses"]] == [("I10", True)]
    several = {"diagnoses": [{"code": "E11.9"}, {"code": "I10", "principal": True}], "reason": "x"}
    amended = await clinician.patch(
        url, json=several, headers={"If-Match": response.headers["etag"]}
    )
    assert amended.status_code == 200, amended.text
    assert [(d["code"], d["principal"]) for d in amended.json()["diagnoses"]] == [
        ("E11.9", False),
        ("I10", True),
    ]


async def test_an_amended_diastolic_stays_below_the_kept_systolic(clinician, today_checkup) -> None:
    appointment = _appointment(today_checkup, "internal-medicine")
    url = f"/api/v1/appointments/{appointment}/result"
    created = await clinician.post(url, json={"systolic_mmhg": 120, "diastolic_mmhg": 80})
    assert created.status_code == 201, created.text
    response = await clinician.patch(
        url,
        json={"diastolic_mmhg": 125, "reason": "đo lại"},
        headers={"If-Match": created.headers["etag"]},
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [
        {
            "field": "body.diastolic_mmhg",
            "message": "diastolic_mmhg must be below systolic_mmhg",
            "type": "value_error",
        }
    ]


async def test_an_amendment_keeps_the_previous_value(clinician, today_checkup) -> None:
    appointment = _appointment(today_checkup, "ophthalmology")
    url = f"/api/v1/appointments/{appointment}/result"
    created = await clinician.post(
        url,
        json={
            "visual_acuity_left": 0.5,
            "visual_acuity_right": 0.7,
            "findings": "Đục thủy tinh thể",
        },
    )
    assert created.status_code == 201, created.text
    assert_problem(await clinician.patch(url, json={"visual_acuity_left": 0.4, "reason": "x"}), 428)
    amended = await clinician.patch(
        url,
        json={"visual_acuity_left": 0.4, "reason": "Đo lại với kính lỗ"},
        headers={"If-Match": created.headers["etag"]},
    )
    assert amended.status_code == 200, amended.text
    body = amended.json()
    assert body["status"] == "amended"
    assert body["visual_acuity_left"] == "0.40"
    assert body["visual_acuity_right"] == "0.70"
    assert len(body["amendments"]) == 1
    amendment = body["amendments"][0]
    assert amendment["reason"] == "Đo lại với kính lỗ"
    assert amendment["previous"]["visual_acuity_left"] == "0.50"
    assert amendment["amended_by"] == str(clinician.account.id)
    stale = await clinician.patch(
        url,
        json={"visual_acuity_left": 0.3, "reason": "x"},
        headers={"If-Match": created.headers["etag"]},
    )
    assert_problem(stale, 412)


async def test_entered_in_error_is_a_status_not_a_delete(clinician, today_checkup) -> None:
    appointment = _appointment(today_checkup, "ultrasound")
    url = f"/api/v1/appointments/{appointment}/result"
    await clinician.post(url, json={"findings": "Gan nhiễm mỡ độ I"})
    response = await clinician.post(f"{url}/entered-in-error", json={"reason": "Nhầm bệnh nhân"})
    assert response.status_code == 200, response.text
    read = (await clinician.get(url)).json()
    assert read["status"] == "entered-in-error"
    assert read["findings"] == "Gan nhiễm mỡ độ I"


async def test_checkup_finishes_and_is_concluded(clinician, today_checkup) -> None:
    for code in ("internal-medicine", "ultrasound", "ophthalmology"):
        response = await clinician.post(
            f"/api/v1/appointments/{_appointment(today_checkup, code)}/result",
            json={"findings": "Bình thường"},
        )
        assert response.status_code == 201
    checkup = (await clinician.get(f"/api/v1/checkups/{today_checkup['id']}")).json()
    assert checkup["status"] == "finished"
    url = f"/api/v1/checkups/{today_checkup['id']}/conclusion"
    concluded = await clinician.put(
        url,
        json={
            "health_class": "III",
            "conclusion": "Tăng huyết áp độ 1",
            "recommendations": "Giảm muối, tái khám",
            "follow_up_on": day(90),
        },
    )
    assert concluded.status_code == 200, concluded.text
    assert concluded.json()["health_class"] == "III"
    assert_problem(await clinician.put(url, json={"health_class": "II", "conclusion": "x"}), 428)
    replaced = await clinician.put(
        url,
        json={"health_class": "II", "conclusion": "Ổn định"},
        headers={"If-Match": concluded.headers["etag"]},
    )
    assert replaced.json()["health_class"] == "II"
    bad = await clinician.put(url, json={"health_class": "VI", "conclusion": "x"})
    assert_problem(bad, 422)


async def test_no_result_before_the_day(client, clinician, clinic) -> None:
    person = await person_with_card(client)
    checkup = (await book(client, clinic, person, day(2))).json()
    response = await clinician.post(
        f"/api/v1/appointments/{_appointment(checkup, 'ultrasound')}/result", json={}
    )
    assert_problem(response, 409, "not-yet")


async def test_health_timeline_for_clinicians_never_for_reporters(
    client, clinician, client_for, today_checkup
) -> None:
    await clinician.post(
        f"/api/v1/appointments/{_appointment(today_checkup, 'internal-medicine')}/result",
        json={**VITALS, "diagnoses": [{"code": "I10", "principal": True}]},
    )
    await clinician.put(
        f"/api/v1/checkups/{today_checkup['id']}/conclusion",
        json={"health_class": "III", "conclusion": "Tăng huyết áp"},
    )
    url = f"/api/v1/beneficiaries/{today_checkup['beneficiary_id']}/health-timeline"
    timeline = (await clinician.get(url)).json()
    assert timeline["classifications"] == [
        {"date": day(0), "health_class": "III", "historical": False}
    ]
    assert timeline["latest_vitals"]["systolic_mmhg"] == {"value": 150, "measured_on": day(0)}
    assert timeline["checkups"][0]["results"][0]["diagnoses"][0]["code"] == "I10"
    reporter = await client_for(Role.reporter)
    assert_problem(await reporter.get(url), 403)
    appointment = _appointment(today_checkup, "internal-medicine")
    assert_problem(await reporter.get(f"/api/v1/appointments/{appointment}/result"), 403)
    scheduler = await client_for(Role.scheduler)
    assert_problem(await scheduler.post(f"/api/v1/appointments/{appointment}/result", json={}), 403)


async def test_a_field_without_null_in_the_schema_is_refused_as_null(
    clinician, today_checkup
) -> None:
    """The schema offers no null for `diagnoses` (leave it out to keep them): a null is a 422,
    whatever the If-Match, not taken for "not sent"."""
    appointment = _appointment(today_checkup, "internal-medicine")
    url = f"/api/v1/appointments/{appointment}/result"
    created = await clinician.post(url, json={"systolic_mmhg": 120, "diastolic_mmhg": 80})
    assert created.status_code == 201, created.text
    for etag in (created.headers["etag"], '"0"'):
        response = await clinician.patch(
            url, json={"diagnoses": None, "reason": "đo lại"}, headers={"If-Match": etag}
        )
        body = assert_problem(response, 422, "validation-error")
        assert body["errors"][0]["field"] == "body.diagnoses"
