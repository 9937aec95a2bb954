"""Ids of real records for CI's schemathesis run, as libFuzzer dictionaries next to the config.

Without them nearly every operation on `/facilities/{facility_id}`, `/beneficiaries/{...}` and
so on answers 404 to a random UUID, and positive data never reaches the rules behind it.
schemathesis.toml binds these dictionaries to path and body parameters with a probability, so
generated (unknown) ids are still tried as well.

    python -m tests.contract.schemathesis_data http://127.0.0.1:8000 "$token"
"""

import sys
from pathlib import Path

import httpx

OUT = Path(__file__).parent / ".data"
# dictionary name -> the list that holds such records
SOURCES = {
    "facility_id": "/api/v1/facilities",
    "beneficiary_id": "/api/v1/beneficiaries",
    "medicine_id": "/api/v1/medicines",
    "user_id": "/api/v1/users",
}
PER_DICTIONARY = 5


def main(base_url: str, token: str) -> None:
    OUT.mkdir(exist_ok=True)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        # Never the run's own account: an update could lock the fuzzer out mid-run.
        me = client.get("/api/v1/auth/me").raise_for_status().json()["id"]
        for name, path in SOURCES.items():
            response = client.get(path, params={"limit": PER_DICTIONARY + 1})
            response.raise_for_status()
            ids = [item["id"] for item in response.json()["items"] if item["id"] != me]
            ids = ids[:PER_DICTIONARY]
            if not ids:
                raise SystemExit(f"{path} is empty: seed the database first (seed-demo)")
            (OUT / f"{name}.dict").write_text("".join(f'"{i}"\n' for i in ids), encoding="utf-8")
            print(f"{name}: {len(ids)} ids")


if __name__ == "__main__":
    main(*sys.argv[1:3])
