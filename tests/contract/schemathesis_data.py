"""Ids of real records for CI's schemathesis run, as libFuzzer dictionaries next to the config.

Seeded facilities, beneficiaries, medicines and users, and (made here, through the API) sessions
from today on and today's checkups with their appointments. Without them nearly every operation
on `/facilities/{facility_id}`, `/checkups/{checkup_id}` and so on answers 404 to a random UUID,
and positive data never reaches the rules behind it. schemathesis.toml binds these dictionaries
to path and body parameters with a probability, so generated (unknown) ids are still tried.

    python -m tests.contract.schemathesis_data http://127.0.0.1:8000 "$token"
"""

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from veteran_care.kit.clock import today

OUT = Path(__file__).parent / ".data"
# dictionary name -> the list that holds such records
SOURCES = {
    "facility_id": "/api/v1/facilities",
    "beneficiary_id": "/api/v1/beneficiaries",
    "medicine_id": "/api/v1/medicines",
    "user_id": "/api/v1/users",
}
PER_DICTIONARY = 5
EVERY_SLOT = [
    {"weekday": d, "part_of_day": p} for d in range(1, 8) for p in ("morning", "afternoon")
]


def _write(name: str, ids: list[str]) -> None:
    if not ids:
        raise SystemExit(f"no {name}: seed the database first (seed-demo)")
    (OUT / f"{name}.dict").write_text("".join(f'"{i}"\n' for i in ids), encoding="utf-8")
    print(f"{name}: {len(ids)} ids")


def _ok(response: httpx.Response) -> Any:
    if response.is_error:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


def _bookings(client: httpx.Client, facility_id: str, people: list[str]) -> None:
    """Sessions from today on and today's checkups at a seeded facility, for their ids."""
    specialty = _ok(client.get("/api/v1/specialties"))["items"][0]["code"]
    services = _ok(client.get(f"/api/v1/facilities/{facility_id}/services"))
    if not any(service["specialty_code"] == specialty for service in services):
        _ok(
            client.post(
                f"/api/v1/facilities/{facility_id}/services",
                json={"specialty_code": specialty, "timetable": EVERY_SLOT, "default_capacity": 50},
            )
        )
    first, last = today(), today() + timedelta(days=6)
    _ok(
        client.post(
            "/api/v1/sessions/generate",
            json={
                "facility_id": facility_id,
                "date_from": str(first),
                "date_to": str(last),
                "skip_public_holidays": False,
            },
        )
    )
    sessions = client.get("/api/v1/sessions", params={"facility_id": facility_id, "limit": 5})
    _write("session_id", [item["id"] for item in _ok(sessions)["items"]])
    checkups, appointments = [], []
    for person in people[:3]:
        booked = client.post(
            "/api/v1/checkups",
            json={
                "beneficiary_id": person,
                "facility_id": facility_id,
                "date": str(first),
                "specialty_codes": [specialty],
                "card_override_reason": "schemathesis test data",
            },
        )
        if booked.status_code == 409:  # booked by an earlier run
            continue
        checkup = _ok(booked)
        checkups.append(checkup["id"])
        appointments += [appointment["id"] for appointment in checkup["appointments"]]
    if checkups:
        _write("checkup_id", checkups)
        _write("appointment_id", appointments)


def main(base_url: str, token: str) -> None:
    OUT.mkdir(exist_ok=True)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        # Never the run's own account: an update could lock the fuzzer out mid-run.
        me = client.get("/api/v1/auth/me").raise_for_status().json()["id"]
        found: dict[str, list[str]] = {}
        for name, path in SOURCES.items():
            response = client.get(path, params={"limit": PER_DICTIONARY + 1})
            response.raise_for_status()
            ids = [item["id"] for item in response.json()["items"] if item["id"] != me]
            found[name] = ids[:PER_DICTIONARY]
            _write(name, found[name])
        _bookings(client, found["facility_id"][0], found["beneficiary_id"])


if __name__ == "__main__":
    main(*sys.argv[1:3])
