"""Issue 27's drive, end to end: a military hospital's team at a commune hall, the people found
on the worklist and booked from it, checked in, examined, given the sponsor's medicines, and
the attendance reported by venue (on SQLite and PostgreSQL alike)."""

from typing import Any

import httpx

from tests.pharmacy.test_funding import RED_CROSS, _receive
from tests.pharmacy.test_stock import dispense, in_days
from tests.printouts.conftest import pdf_pages
from tests.scheduling.conftest import day, person_with_card
from tests.scheduling.test_worklist import attempt, worklist
from tests.venues.test_venues import HALL, create_venue, plan_visit, team_facility
from veteran_care.models import Role

VI = {"Accept-Language": "vi"}


async def _sponsored_drive(client: httpx.AsyncClient, facility: dict[str, Any]) -> str:
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Khám sức khoẻ 27/7 tại nhà văn hoá xã (Hội Chữ thập đỏ tài trợ thuốc)",
            "starts_on": day(0),
            "ends_on": day(0),
            "facility_ids": [facility["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": ["internal-medicine"],
            "sponsor": RED_CROSS,
        },
    )
    assert campaign.status_code == 201, campaign.text
    return str(campaign.json()["id"])


async def test_a_drive_at_a_commune_hall_from_worklist_to_report(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    # planned: the hall, the hospital's team there this morning, the sponsor's medicines
    venue, facility = await create_venue(client), await team_facility(client)
    campaign_id = await _sponsored_drive(client, facility)
    visit = await plan_visit(
        client, venue, facility, day(0), specialty_codes=["internal-medicine"], capacity=50
    )
    assert visit.status_code == 200, visit.text
    (hall_session,) = visit.json()["sessions"]
    staff = {"province_wide": False, "facility_ids": [facility["id"]]}
    clinician = await client_for(Role.clinician, **staff)
    pharmacist = await client_for(Role.pharmacist, **staff)
    medicines = await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})
    paracetamol = medicines.json()["items"][0]
    state_lot = await _receive(
        pharmacist, facility, paracetamol, "NS-9", funding_source="state-budget", expiry=in_days(30)
    )
    sponsor_lot = await _receive(
        pharmacist, facility, paracetamol, "RC-9", funding_source="sponsor", sponsor=RED_CROSS
    )
    assert state_lot.status_code == sponsor_lot.status_code == 201, sponsor_lot.text

    # booked from the worklist: the commune health worker's call
    person = await person_with_card(
        client, full_name="Lò Văn Ơn", address_line="Bản Mển, xã Thanh Nưa"
    )
    assert (await worklist(client, village="Bản Mển"))["Lò Văn Ơn"]["last_attempt"] is None
    booking = {
        "facility_id": facility["id"],
        "date": day(0),
        "specialty_codes": ["internal-medicine"],
        "campaign_id": campaign_id,
        "part_of_day": "morning",
    }
    called = await attempt(client, person, "will_come", booking=booking)
    assert called.status_code == 201, called.text
    checkup_id = called.json()["checkup_id"]
    assert "Lò Văn Ơn" not in await worklist(client, village="Bản Mển")
    # the slip sends the veteran to the hall, not to the hospital
    slip = " ".join(pdf_pages(await client.get(f"/api/v1/checkups/{checkup_id}/slip", headers=VI)))
    assert f"{HALL['name']}, {HALL['address']}" in slip
    assert facility["name"].upper() in slip  # the team's facility heads the slip

    # checked in and examined at the hall, by the hospital's own staff
    checked_in = await client.post(f"/api/v1/checkups/{checkup_id}/check-in")
    assert checked_in.status_code == 200, checked_in.text
    (appointment,) = checked_in.json()["appointments"]
    assert appointment["session_id"] == hall_session["id"]
    result = await clinician.post(
        f"/api/v1/appointments/{appointment['id']}/result",
        json={"systolic_mmhg": 145, "diastolic_mmhg": 90, "diagnoses": [{"code": "I10"}]},
    )
    assert result.status_code == 201, result.text

    # dispensed from the sponsor's lot, not the state's that expires first
    given = await dispense(pharmacist, facility, paracetamol, person, 2, checkup_id=checkup_id)
    assert given.status_code == 201, given.text
    assert [lot["lot_id"] for lot in given.json()["lots"]] == [sponsor_lot.json()["id"]]

    # reported by venue
    params = {"campaign_id": campaign_id, "group_by": "venue"}
    report = await client.get("/api/v1/reports/attendance", params=params, headers=VI)
    assert report.status_code == 200, report.text
    assert [(r["venue_name"], r["booked"], r["attended"]) for r in report.json()["rows"]] == [
        (HALL["name"], 1, 1)
    ]
    csv = await client.get(
        "/api/v1/reports/attendance", params={**params, "format": "csv"}, headers=VI
    )
    assert "Địa điểm khám" in csv.text
    assert HALL["name"] in csv.text
