"""Dispensing and health reports against counts made by hand."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from tests.factories import create_beneficiary, create_facility
from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.kit.clock import today
from veteran_care.models import Dispense, Role


async def test_dispensing_totals_by_medicine_and_atc_group(client, client_for) -> None:
    facility = await create_facility(client)
    pharmacist = await client_for(
        Role.pharmacist, province_wide=False, facility_ids=[facility["id"]]
    )
    meds = {
        m["code"]: m
        for m in (await pharmacist.get("/api/v1/medicines", params={"limit": 200})).json()["items"]
    }
    expiry = (today() + timedelta(days=300)).isoformat()
    for code in ("PARA500", "IBUP400", "AMOX500"):
        await pharmacist.post(
            f"/api/v1/facilities/{facility['id']}/stock/receipts",
            json={
                "medicine_id": meds[code]["id"],
                "lot_number": f"{code}-1",
                "expiry_date": expiry,
                "quantity": 100,
                "supplier": "X",
            },
        )
    a = await create_beneficiary(client)
    b = await create_beneficiary(client)
    plan = [
        (a, "PARA500", 10),
        (b, "PARA500", 6),
        (a, "IBUP400", 4),
        (b, "AMOX500", 21),
        (a, "AMOX500", 7),
    ]
    made = []
    for person, code, qty in plan:
        response = await pharmacist.post(
            "/api/v1/dispenses",
            json={
                "beneficiary_id": person["id"],
                "facility_id": facility["id"],
                "medicine_id": meds[code]["id"],
                "quantity": qty,
                "dosage_instructions": "x",
            },
        )
        assert response.status_code == 201, response.text
        made.append(response.json())
    await pharmacist.post(
        f"/api/v1/dispenses/{made[-1]['id']}/status",
        json={"status": "cancelled", "reason": "đổi thuốc"},
    )
    reporter = await client_for(Role.reporter)
    by_medicine = (
        await reporter.get(
            "/api/v1/reports/dispensing", params={"group_by": ["facility", "medicine"]}
        )
    ).json()
    mine = {r["medicine"]: r for r in by_medicine["rows"] if r["facility"] == facility["id"]}
    assert {k: (v["quantity"], v["people"], v["dispenses"]) for k, v in mine.items()} == {
        "PARA500": (16, 2, 2),
        "IBUP400": (4, 1, 1),
        "AMOX500": (21, 1, 1),
    }
    by_group = (
        await reporter.get(
            "/api/v1/reports/dispensing", params={"group_by": ["facility", "atc_group"]}
        )
    ).json()
    groups = {
        r["atc_group"]: r["quantity"] for r in by_group["rows"] if r["facility"] == facility["id"]
    }
    assert groups == {"N02": 16, "M01": 4, "J01": 21}


async def test_health_classification_and_top_diagnoses(client, client_for) -> None:
    clinic = await make_clinic(client, days=1, specialties=["internal-medicine"])
    clinician = await client_for(Role.clinician, province_wide=False, facility_ids=[clinic["id"]])
    plan = [("II", ["I10"]), ("III", ["I10", "E11.9"]), ("III", ["J44.9"])]
    for health_class, codes in plan:
        person = await person_with_card(client, categories=[{"code": "veteran"}])
        checkup = (await book(client, clinic, person, day(0), ["internal-medicine"])).json()
        appointment = checkup["appointments"][0]["id"]
        diagnoses = [{"code": c, "principal": i == 0} for i, c in enumerate(codes)]
        assert (
            await clinician.post(
                f"/api/v1/appointments/{appointment}/result", json={"diagnoses": diagnoses}
            )
        ).status_code == 201
        await clinician.put(
            f"/api/v1/checkups/{checkup['id']}/conclusion",
            json={"health_class": health_class, "conclusion": "x"},
        )
    report = (
        await clinician.get("/api/v1/reports/health", params={"date_from": day(0), "top": 2})
    ).json()
    classes = {
        r["health_class"]: r["checkups"] for r in report["rows"] if r["kind"] == "classification"
    }
    assert classes == {"II": 1, "III": 2}
    top = [(r["icd10_code"], r["diagnoses"]) for r in report["rows"] if r["kind"] == "diagnosis"]
    assert top[0] == ("I10", 2)
    assert len(top) == 2
    assert report["rows"][-1]["title"]
    scheduler = await client_for(Role.scheduler)
    assert_problem(await scheduler.get("/api/v1/reports/health"), 403)
    for dates, expected in (  # the first and the last date there is (issue 22)
        ({"date_from": "0001-01-01"}, {"II": 1, "III": 2}),
        ({"date_to": "9999-12-31"}, {"II": 1, "III": 2}),
        ({"date_from": "9999-12-31"}, {}),
        ({"date_to": "0001-01-01"}, {}),
    ):
        response = await clinician.get("/api/v1/reports/health", params=dates)
        assert response.status_code == 200, response.text
        rows = [r for r in response.json()["rows"] if r["kind"] == "classification"]
        assert {r["health_class"]: r["checkups"] for r in rows} == expected


async def test_dispensing_periods_reach_the_first_and_the_last_date(
    client, client_for, sessionmaker
) -> None:
    """`date_from` and `date_to` take every date the schema allows (issue 22): the local day
    0001-01-01 begins before the first UTC instant, the day after 9999-12-31 has no date."""
    facility = await create_facility(client)
    pharmacist = await client_for(
        Role.pharmacist, province_wide=False, facility_ids=[facility["id"]]
    )
    medicine = (await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})).json()
    received = await pharmacist.post(
        f"/api/v1/facilities/{facility['id']}/stock/receipts",
        json={
            "medicine_id": medicine["items"][0]["id"],
            "lot_number": "CAL-1",
            "expiry_date": (today() + timedelta(days=300)).isoformat(),
            "quantity": 10,
            "supplier": "X",
        },
    )
    assert received.status_code == 201, received.text
    person = await create_beneficiary(client)
    made = []
    for quantity in (1, 2, 4):
        response = await pharmacist.post(
            "/api/v1/dispenses",
            json={
                "beneficiary_id": person["id"],
                "facility_id": facility["id"],
                "medicine_id": medicine["items"][0]["id"],
                "quantity": quantity,
                "dosage_instructions": "x",
            },
        )
        assert response.status_code == 201, response.text
        made.append(uuid.UUID(response.json()["id"]))
    async with sessionmaker() as session:
        for dispense_id, at in (
            (made[0], datetime(1, 1, 1, 0, 30, tzinfo=UTC)),  # 0001-01-01, local
            (made[2], datetime(9999, 12, 31, 16, 30, tzinfo=UTC)),  # 9999-12-31, local
        ):
            await session.execute(
                update(Dispense).where(Dispense.id == dispense_id).values(dispensed_at=at)
            )
        await session.commit()
    reporter = await client_for(Role.reporter)

    async def months(**dates: str) -> dict[int, int]:
        params = {"group_by": ["facility", "month"], **dates}
        response = await reporter.get("/api/v1/reports/dispensing", params=params)
        assert response.status_code == 200, response.text
        rows = response.json()["rows"]
        return {r["month"]: r["quantity"] for r in rows if r["facility"] == facility["id"]}

    first, last = "0001-01-01", "9999-12-31"
    everything = {101: 1, today().year * 100 + today().month: 2, 999912: 4}
    assert await months(date_from=first) == everything
    assert await months(date_to=last) == everything
    assert await months(date_from=first, date_to=last) == everything
    assert await months(date_to=first) == {101: 1}
    assert await months(date_from=first, date_to=first) == {101: 1}
    assert await months(date_from=last) == {999912: 4}
    assert await months(date_from=last, date_to=last) == {999912: 4}
