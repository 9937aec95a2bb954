"""Each kind of change writes its event: a result, a dispense, a cancelled session."""

from typing import Any

import httpx

from tests.factories import create_facility
from tests.pharmacy.test_stock import dispense, in_days, receive
from tests.scheduling.conftest import book, day, person_with_card, sessions_on
from tests.webhooks.conftest import drain, subscribe
from tests.webhooks.receiver import Receiver
from veteran_care.models import Role
from veteran_care.webhooks.deliverer import Deliverer


def _payloads(receiver: Receiver, kind: str) -> list[Any]:
    return [r.payload for r in receiver.accepted() if r.payload["type"] == kind]


async def test_a_result_is_an_event(
    client: httpx.AsyncClient,
    client_for: Any,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    await subscribe(client, receiver.url, events=["result.recorded"], personal_data=True)
    person = await person_with_card(client, full_name="Vũ Văn Chín")
    checkup = (await book(client, clinic, person, day(0), specialties=["ultrasound"])).json()
    [appointment] = checkup["appointments"]
    clinician = await client_for(Role.clinician)
    recorded = await clinician.post(
        f"/api/v1/appointments/{appointment['id']}/result", json={"findings": "Bình thường."}
    )
    assert recorded.status_code == 201, recorded.text
    await drain(deliverer)
    [event] = _payloads(receiver, "result.recorded")
    assert event["data"]["result_id"] == recorded.json()["id"]
    assert event["data"]["appointment_id"] == appointment["id"]
    assert event["data"]["specialty_code"] == "ultrasound"
    assert event["data"]["person"]["full_name"] == "Vũ Văn Chín"
    assert "Bình thường" not in str(event)  # what was found stays in Veteran Care


async def test_a_dispense_is_an_event(
    client: httpx.AsyncClient,
    client_for: Any,
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    await subscribe(client, receiver.url, events=["dispense.recorded"])
    pharmacy = await create_facility(client)
    pharmacist = await client_for(Role.pharmacist)
    medicines = await pharmacist.get("/api/v1/medicines", params={"atc": "N02BE01"})
    medicine = medicines.json()["items"][0]
    await receive(pharmacist, pharmacy, medicine, "LOT-WH-1", in_days(300), 20)
    person = await person_with_card(client)
    made = await dispense(pharmacist, pharmacy, medicine, person, 4)
    assert made.status_code == 201, made.text
    await drain(deliverer)
    [event] = _payloads(receiver, "dispense.recorded")
    assert event["data"] == {
        "beneficiary_id": person["id"],
        "dispense_id": made.json()["id"],
        "checkup_id": None,
        "facility_id": pharmacy["id"],
        "medicine_id": medicine["id"],
    }


async def test_a_cancelled_session_cancels_the_checkups_it_empties(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    await subscribe(client, receiver.url, events=["checkup.cancelled"])
    alone = await person_with_card(client)
    partly = await person_with_card(client)
    emptied = await book(client, clinic, alone, day(5), specialties=["ultrasound"])
    kept = await book(client, clinic, partly, day(5), specialties=["ultrasound", "ophthalmology"])
    assert emptied.is_success
    assert kept.is_success
    ultrasound = next(
        s
        for s in await sessions_on(client, clinic, day(5))
        if s["specialty_code"] == "ultrasound"
        and s["id"] in {a["session_id"] for a in emptied.json()["appointments"]}
    )
    cancelled = await client.post(
        f"/api/v1/sessions/{ultrasound['id']}/cancel", json={"reason": "Máy siêu âm hỏng"}
    )
    assert cancelled.status_code == 200, cancelled.text
    await drain(deliverer)
    assert [e["data"]["checkup_id"] for e in _payloads(receiver, "checkup.cancelled")] == [
        emptied.json()["id"]
    ]


async def test_a_checkup_whose_last_appointment_is_cancelled_is_cancelled(
    client: httpx.AsyncClient,
    clinic: dict[str, Any],
    receiver: Receiver,
    deliverer: Deliverer,
) -> None:
    await subscribe(client, receiver.url, events=["checkup.cancelled"])
    person = await person_with_card(client)
    booked = await book(client, clinic, person, day(4), specialties=["ultrasound", "ophthalmology"])
    first, second = booked.json()["appointments"]
    reason = {"cancelled_by": "patient", "reason": "Bận việc nhà"}
    for appointment in (first, second):
        path = f"/api/v1/appointments/{appointment['id']}/cancel"
        assert (await client.post(path, json=reason)).status_code == 200
        await drain(deliverer)
        told = [e["data"]["checkup_id"] for e in _payloads(receiver, "checkup.cancelled")]
        assert told == ([] if appointment is first else [booked.json()["id"]])
