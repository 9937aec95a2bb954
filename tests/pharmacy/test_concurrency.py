"""Stock under concurrency, through a real uvicorn on 127.0.0.1: with 10 on hand and many
concurrent dispenses of 1, exactly 10 succeed, stock ends at 0 and the ledger sums to it."""

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import create_beneficiary, create_facility
from tests.scheduling.test_concurrency import (
    Server,
    all_at_once,
    on_database,
    outcome,
    run_limited,
    staff_client,
    warm_up,
)
from veteran_care.kit.clock import today
from veteran_care.models import LedgerEntry, StockLot

pytestmark = pytest.mark.slow

STOCK = 10
SIZES = {"postgresql": (50, 20), "sqlite": (15, 5)}  # concurrent dispenses, rounds


async def _ledger_matches(database_url: str) -> int:
    async def check(connection: AsyncConnection) -> int:
        sums = dict(
            (
                await connection.execute(
                    select(LedgerEntry.lot_id, func.sum(LedgerEntry.quantity)).group_by(
                        LedgerEntry.lot_id
                    )
                )
            ).all()
        )
        lots = (await connection.execute(select(StockLot.id, StockLot.on_hand))).all()
        for lot_id, on_hand in lots:
            assert on_hand >= 0
            assert sums.get(lot_id, 0) == on_hand, f"lot {lot_id}: ledger {sums.get(lot_id)}"
        return len(lots)

    return await on_database(database_url, check)


async def test_stock_never_goes_negative_under_concurrent_dispenses(
    api: httpx.AsyncClient, server: Server, backend: str
) -> None:
    concurrent, rounds = SIZES[backend]
    facility = await create_facility(api)
    medicines = (await api.get("/api/v1/medicines", params={"atc": "N02BE01"})).json()["items"]
    medicine = medicines[0]
    patients = await run_limited([lambda: create_beneficiary(api)] * concurrent, 8)
    clients = max(n for n, _ in SIZES.values())
    async with await staff_client(api, server, "pharmacist", facility["id"], clients) as pharmacist:
        await warm_up(pharmacist, concurrent)
        timings = []
        for round_number in range(rounds):
            receipt = await pharmacist.post(
                f"/api/v1/facilities/{facility['id']}/stock/receipts",
                json={
                    "medicine_id": medicine["id"],
                    "lot_number": f"R{round_number:03d}",
                    "expiry_date": (today() + timedelta(days=200)).isoformat(),
                    "quantity": STOCK,
                    "supplier": "Công ty Dược",
                },
            )
            assert receipt.status_code == 201, receipt.text

            def dispense(person: dict[str, Any]) -> Any:
                return lambda: pharmacist.post(
                    "/api/v1/dispenses",
                    json={
                        "beneficiary_id": person["id"],
                        "facility_id": facility["id"],
                        "medicine_id": medicine["id"],
                        "quantity": 1,
                        "dosage_instructions": "1 viên khi sốt",
                    },
                )

            responses, seconds = await all_at_once([dispense(p) for p in patients])
            timings.append(seconds)
            outcomes = Counter(outcome(r) for r in responses)
            assert outcomes == {
                (201, ""): STOCK,
                (409, "insufficient-stock"): concurrent - STOCK,
            }, (
                round_number,
                outcomes,
            )
            stock = (
                await pharmacist.get(
                    f"/api/v1/facilities/{facility['id']}/stock", params={"include_empty": True}
                )
            ).json()
            assert stock["medicines"][0]["on_hand"] == 0
        lots = await _ledger_matches(server.database_url)
    timings.sort()
    print(
        f"\n[stock] {concurrent} dispenses x {rounds} rounds on {STOCK} units: exactly {STOCK} "
        f"each time; median round {1000 * timings[len(timings) // 2]:.0f} ms; "
        f"{lots} lots' ledgers sum to their stock ({time.strftime('%H:%M:%S')})"
    )
