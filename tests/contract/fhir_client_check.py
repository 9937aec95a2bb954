"""fhirpy, a FHIR client nobody here wrote, against a live server's FHIR view (issue 22), as CI
runs it after schemathesis: for every resource type the CapabilityStatement lists, a search
followed page by page, `count()`, and one resource read by `search(_id=...).get()` and by
reference, the two the same as the search's; Patients found again by their identifiers, under
VN Core's systems and the earlier draft's (docs/decisions/0028). The first mismatch ends
the run with a message and exit status 1.

seed-demo makes no examination results or dispenses: when Observation, Condition or
MedicationDispense has none, one is made first through /api/v1 (a result with a diagnosis for an
open appointment of the day or earlier, a stock receipt and a dispense), so that every type is
read. Appointments, Encounters and HealthcareServices come from tests.contract.schemathesis_data,
which CI runs before schemathesis.

    python -m tests.contract.fhir_client_check http://127.0.0.1:8000 "$token"
"""

import sys
from datetime import timedelta
from typing import Any

import httpx
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import BaseFHIRError, ResourceNotFound

from veteran_care.fhir.codes import (
    BHYT_SYSTEM,
    CCCD_SYSTEM,
    CMND_SYSTEM,
    FHIR_PREFIX,
    OLD_INSURANCE_NUMBER_SYSTEM,
    OLD_NATIONAL_ID_SYSTEM,
)
from veteran_care.kit.clock import today

PAGE = 50
OPEN = ("booked", "checked-in")  # an appointment that can take a result
TRIES = 20  # appointments or people tried before giving up on making a record
OLD_SYSTEM = {
    CCCD_SYSTEM: OLD_NATIONAL_ID_SYSTEM,
    CMND_SYSTEM: OLD_NATIONAL_ID_SYSTEM,
    BHYT_SYSTEM: OLD_INSURANCE_NUMBER_SYSTEM,
}
RESULT = {
    "systolic_mmhg": 135,
    "diastolic_mmhg": 85,
    "heart_rate_bpm": 76,
    "findings": "Khám định kỳ (CI).",
    "diagnoses": [{"code": "I10", "principal": True}],
}


class CheckFailed(Exception):
    """What was expected and what the server did."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _ok(response: httpx.Response) -> Any:
    check(
        not response.is_error,
        f"{response.request.method} {response.request.url}: {response.status_code} "
        f"{response.text[:500]}",
    )
    return response.json()


def _result(api: httpx.Client, fhir: SyncFHIRClient) -> None:
    """An examination result (Observations) with a diagnosis (Condition)."""
    tried = 0
    for appointment in fhir.resources("Appointment").limit(PAGE):
        if appointment["status"] not in OPEN or appointment["start"][:10] > today().isoformat():
            continue
        made = api.post(f"/api/v1/appointments/{appointment.id}/result", json=RESULT)
        if made.status_code == 201:
            return
        tried += 1
        check(tried < TRIES, f"no result could be recorded; the last answer: {made.text[:500]}")
    raise CheckFailed("no booked or checked-in appointment of today or earlier for a result")


def _dispense(api: httpx.Client, fhir: SyncFHIRClient) -> None:
    facility = fhir.resources("Organization").search(active="true").limit(1).fetch()
    medicine = [m for m in fhir.resources("Medication").limit(PAGE) if m["status"] == "active"]
    check(bool(facility and medicine), "no active facility or medicine to dispense from")
    facility_id, medicine_id = facility[0].id, medicine[0].id
    _ok(
        api.post(
            f"/api/v1/facilities/{facility_id}/stock/receipts",
            json={
                "medicine_id": medicine_id,
                "lot_number": "CI-FHIR",
                "expiry_date": (today() + timedelta(days=300)).isoformat(),
                "quantity": 10,
                "supplier": "CI",
            },
        )
    )
    for tried, patient in enumerate(fhir.resources("Patient").limit(PAGE)):
        made = api.post(
            "/api/v1/dispenses",
            json={
                "beneficiary_id": patient.id,
                "facility_id": facility_id,
                "medicine_id": medicine_id,
                "quantity": 1,
                "dosage_instructions": "Uống 1 viên sau ăn",
                "days_of_supply": 1,
            },
        )
        if made.status_code == 201:
            return
        check(tried + 1 < TRIES, f"no dispense could be recorded; the last: {made.text[:500]}")
    raise CheckFailed("no patient to dispense to")


def make_missing(api: httpx.Client, fhir: SyncFHIRClient) -> None:
    if not (fhir.resources("Observation").count() and fhir.resources("Condition").count()):
        _result(api, fhir)
        print("made: an examination result with a diagnosis")
    if not fhir.resources("MedicationDispense").count():
        _dispense(api, fhir)
        print("made: a stock receipt and a dispense")


def check_type(fhir: SyncFHIRClient, resource_type: str) -> None:
    """Search (every page), count, and read the first resource found, two ways."""
    listed = [resource.serialize() for resource in fhir.resources(resource_type).limit(PAGE)]
    ids = [resource["id"] for resource in listed]
    check(bool(ids), f"{resource_type}: the search found nothing")
    check(len(ids) == len(set(ids)), f"{resource_type}: a resource came twice across pages")
    counted = fhir.resources(resource_type).count()
    check(counted == len(ids), f"{resource_type}: count() {counted}, the pages {len(ids)}")
    first = listed[0]
    found = fhir.resources(resource_type).search(_id=first["id"]).get().serialize()
    check(found == first, f"{resource_type}/{first['id']}: search(_id=...).get() differs")
    read = fhir.reference(resource_type, first["id"]).to_resource().serialize()
    check(read == first, f"{resource_type}/{first['id']}: the read differs from the search's")
    try:
        fhir.resources(resource_type).search(_id="nobody").get()
    except ResourceNotFound:
        pass
    else:
        raise CheckFailed(f"{resource_type}: search(_id=nobody).get() found something")
    print(f"{resource_type}: {counted} found, counted, one read by _id and by reference")


def check_identifiers(fhir: SyncFHIRClient) -> None:
    """A Patient with each kind of identifier found again by it, under its system and the old
    one. Everyone in seed-demo has a CCCD or BHXH number; a legacy CMND is checked when present."""
    for system in (CCCD_SYSTEM, BHYT_SYSTEM, CMND_SYSTEM):
        holders = fhir.resources("Patient").search(identifier=f"{system}|").limit(1).fetch()
        if not holders and system == CMND_SYSTEM:
            print(f"Patient: nobody with an identifier under {system}")
            continue
        check(bool(holders), f"identifier={system}| found nobody")
        patient = holders[0]
        value = next(i["value"] for i in patient["identifier"] if i["system"] == system)
        for searched in (system, OLD_SYSTEM[system]):
            token = f"{searched}|{value}"
            found = [p.id for p in fhir.resources("Patient").search(identifier=token).fetch()]
            check(patient.id in found, f"identifier={token} did not find Patient/{patient.id}")
        print(f"Patient: found by {system} and by {OLD_SYSTEM[system]}")


def main(base_url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
        fhir = SyncFHIRClient(f"{base_url}{FHIR_PREFIX}", authorization=headers["Authorization"])
        statement = _ok(api.get(f"{FHIR_PREFIX}/metadata"))
        types = [resource["type"] for resource in statement["rest"][0]["resource"]]
        make_missing(api, fhir)
        for resource_type in types:
            check_type(fhir, resource_type)
        check_identifiers(fhir)
    print(f"fhirpy: {len(types)} resource types searched, counted and read")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:3])
    except (CheckFailed, BaseFHIRError, httpx.HTTPError) as failure:
        sys.exit(f"fhirpy check failed: {type(failure).__name__}: {failure}")
