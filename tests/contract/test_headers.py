"""The headers the OpenAPI document declares are the ones the API sends: `Location` on every
create (and it reads what was created), `ETag` on exactly the reads that send one."""

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.document import openapi_document, operations
from tests.factories import beneficiary_payload, unique_digits
from tests.scheduling.conftest import EVERY_DAY, book, day, make_clinic
from veteran_care.models import Role

PATH_PARAMETER = re.compile(r"\{([^}]+)\}")
# FHIR path parameters named after the resource read, and the /api/v1 id that each stands for.
FHIR_IDS = {
    "coverage_id": "card_id",
    "encounter_id": "checkup_id",
    "location_id": "facility_id",
    "medication_id": "medicine_id",
    "organization_id": "facility_id",
}


def _declares_etag(operation: dict[str, Any]) -> bool:
    return "ETag" in operation["responses"].get("200", {}).get("headers", {})


def test_every_create_declares_its_location() -> None:
    creates = [op for _, _, op in operations() if "201" in op["responses"]]
    assert len(creates) >= 15
    for operation in creates:
        header = operation["responses"]["201"].get("headers", {}).get("Location")
        assert header is not None, operation["operationId"]
        assert header["schema"] == {"type": "string"}
        assert header["description"]


class World:
    """One of everything, each made by its create operation; the creates' responses are kept."""

    def __init__(self) -> None:
        self.created: dict[str, httpx.Response] = {}
        self.ids: dict[str, str] = {}

    async def create(
        self, api: httpx.AsyncClient, operation_id: str, url: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        response = await api.post(url, json=body)
        assert response.status_code == 201, (operation_id, response.text)
        self.created[operation_id] = response
        created: dict[str, Any] = response.json()
        return created


async def _scheduling(api: httpx.AsyncClient, world: World) -> dict[str, Any]:
    clinic = await make_clinic(api, days=4)
    world.ids["facility_id"] = clinic["id"]
    world.ids["kind"] = "confirmation"  # a message template
    service = await world.create(
        api,
        "create_facility_service",
        f"/api/v1/facilities/{clinic['id']}/services",
        {"specialty_code": "x-ray", "timetable": EVERY_DAY, "default_capacity": 3},
    )
    world.ids["service_id"] = service["id"]
    session = await world.create(
        api,
        "create_session",
        "/api/v1/sessions",
        {"service_id": service["id"], "date": day(20), "part_of_day": "morning", "capacity": 7},
    )
    world.ids["session_id"] = session["id"]
    campaign = await world.create(
        api,
        "create_campaign",
        "/api/v1/campaigns",
        {
            "name": "Khám định kỳ 27/7",
            "starts_on": day(1),
            "ends_on": day(5),
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": ["internal-medicine"],
        },
    )
    world.ids["campaign_id"] = campaign["id"]
    return clinic


async def _person(api: httpx.AsyncClient, world: World) -> dict[str, Any]:
    person = await world.create(
        api, "create_beneficiary", "/api/v1/beneficiaries", beneficiary_payload()
    )
    card = await world.create(
        api,
        "create_card",
        f"/api/v1/beneficiaries/{person['id']}/cards",
        {
            "number": person["bhxh_number"],
            "valid_from": day(-300),
            "valid_to": day(300),
            "registration_facility_code": "11001",
        },
    )
    past_check = await world.create(
        api,
        "create_past_check",
        f"/api/v1/beneficiaries/{person['id']}/past-checks",
        {"date": day(-200), "place": "Bệnh viện Quân y 6", "health_class": "II"},
    )
    contact = await world.create(
        api,
        "create_contact",
        f"/api/v1/beneficiaries/{person['id']}/contacts",
        {"full_name": "Lò Thị Xuân", "relationship": "caregiver", "phone": "0912345678"},
    )
    consent = await world.create(
        api,
        "create_consent",
        f"/api/v1/beneficiaries/{person['id']}/consents",
        {"status": "given", "decided_on": day(-1), "channel": "sms"},
    )
    venue = await world.create(
        api,
        "create_venue",
        "/api/v1/venues",
        {"name": "Nhà văn hoá xã", "kind": "commune-hall", "commune_code": "03127"},
    )
    attempt = await world.create(
        api,
        "record_contact_attempt",
        f"/api/v1/beneficiaries/{person['id']}/contact-attempts",
        {"channel": "phone", "outcome": "no_answer"},
    )
    world.ids["venue_id"] = venue["id"]
    world.ids["attempt_id"] = attempt["id"]
    world.ids["beneficiary_id"] = person["id"]
    world.ids["card_id"] = card["id"]
    world.ids["past_check_id"] = past_check["id"]
    world.ids["contact_id"] = contact["id"]
    world.ids["consent_id"] = consent["id"]
    return person


async def _checkups(
    api: httpx.AsyncClient, world: World, clinic: dict[str, Any], person: dict[str, Any]
) -> None:
    today = await book(api, clinic, person, day(0), specialties=["internal-medicine"])
    assert today.status_code == 201, today.text
    world.created["book_checkup"] = today
    checkup = today.json()
    world.ids["checkup_id"] = checkup["id"]
    appointment = checkup["appointments"][0]["id"]
    world.ids["appointment_id"] = appointment
    await world.create(
        api,
        "record_result",
        f"/api/v1/appointments/{appointment}/result",
        {"systolic_mmhg": 130, "diastolic_mmhg": 85, "findings": "Bình thường."},
    )
    concluded = await api.put(
        f"/api/v1/checkups/{checkup['id']}/conclusion",
        json={"health_class": "II", "conclusion": "Sức khỏe tốt"},
    )
    assert concluded.status_code in (200, 201), concluded.text
    later = await book(api, clinic, person, day(2), specialties=["ultrasound"])
    assert later.status_code == 201, later.text
    await world.create(
        api,
        "reschedule_checkup",
        f"/api/v1/checkups/{later.json()['id']}/reschedule",
        {"date": day(4), "reason": "Gia đình có việc", "cancelled_by": "patient"},
    )


async def _waitlist(api: httpx.AsyncClient, world: World, person: dict[str, Any]) -> None:
    """The x-ray session of day 20 full (no place), the person waiting; a place added is held
    for them, and booked from the offer."""
    session_id = world.ids["session_id"]

    async def capacity(places: int) -> None:
        read = await api.get(f"/api/v1/sessions/{session_id}")
        changed = await api.patch(
            f"/api/v1/sessions/{session_id}",
            json={"capacity": places},
            headers={"If-Match": read.headers["ETag"]},
        )
        assert changed.status_code == 200, changed.text

    await capacity(0)
    entry = await world.create(
        api,
        "join_waitlist",
        "/api/v1/waitlist",
        {
            "beneficiary_id": person["id"],
            "facility_id": world.ids["facility_id"],
            "specialty_code": "x-ray",
            "date_from": day(20),
        },
    )
    world.ids["entry_id"] = entry["id"]
    await capacity(7)
    accepted = await api.post(f"/api/v1/waitlist/{entry['id']}/accept")
    assert accepted.status_code == 201, accepted.text
    world.created["accept_waitlist_offer"] = accepted


async def _pharmacy(api: httpx.AsyncClient, world: World, person: dict[str, Any]) -> None:
    facility_id = world.ids["facility_id"]
    medicine = await world.create(
        api,
        "create_medicine",
        "/api/v1/medicines",
        {
            "code": f"TEST{unique_digits(6)}",
            "name": "Paracetamol 500",
            "active_ingredient": "Paracetamol",
            "strength": "500 mg",
            "dosage_form": "viên nén",
            "unit": "viên",
            "atc_code": "N02BE01",
        },
    )
    world.ids["medicine_id"] = medicine["id"]
    stock = f"/api/v1/facilities/{facility_id}/stock"
    lot = await world.create(
        api,
        "receive_stock",
        f"{stock}/receipts",
        {
            "medicine_id": medicine["id"],
            "lot_number": "L-2027",
            "expiry_date": day(200),
            "quantity": 20,
            "supplier": "Công ty Dược Điện Biên",
        },
    )
    world.ids["lot_id"] = lot["id"]
    await world.create(
        api,
        "adjust_stock",
        f"{stock}/adjustments",
        {"lot_id": lot["id"], "quantity": -1, "reason": "damaged"},
    )
    dispense = await world.create(
        api,
        "create_dispense",
        "/api/v1/dispenses",
        {
            "beneficiary_id": person["id"],
            "facility_id": facility_id,
            "medicine_id": medicine["id"],
            "quantity": 2,
            "dosage_instructions": "Uống 1 viên khi sốt",
        },
    )
    world.ids["dispense_id"] = dispense["id"]


async def _accounts(api: httpx.AsyncClient, world: World) -> None:
    user = await world.create(
        api,
        "create_user",
        "/api/v1/users",
        {
            "username": f"nguyen.an.{uuid.uuid4().hex[:6]}",
            "full_name": "Nguyễn Văn An",
            "password": "mật khẩu rất dài 2027",
            "roles": ["scheduler"],
            "province_wide": True,
        },
    )
    client = await world.create(
        api,
        "create_client",
        "/api/v1/clients",
        {
            "client_id": f"so-noi-vu-{uuid.uuid4().hex[:6]}",
            "name": "Sở Nội vụ",
            "roles": ["reporter"],
            "province_wide": True,
        },
    )
    world.ids["user_id"] = user["id"]
    world.ids["client_id"] = client["id"]
    subscription = await world.create(
        api,
        "create_webhook_subscription",
        "/api/v1/webhook-subscriptions",
        {"url": "https://his.example.vn/hooks", "events": ["checkup.booked"]},
    )
    world.ids["subscription_id"] = subscription["id"]


LETTERS = str.maketrans("0123456789", "ghijklmnop")


@pytest.fixture
async def api(client_for) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await client_for(*Role)
    return client


@pytest.fixture
async def world(api: httpx.AsyncClient) -> World:
    world = World()
    clinic = await _scheduling(api, world)
    person = await _person(api, world)
    await _checkups(api, world, clinic, person)
    await _waitlist(api, world, person)
    await _pharmacy(api, world, person)
    await _accounts(api, world)
    world.created["create_beneficiary_category"] = await api.post(
        "/api/v1/beneficiary-categories",
        json={
            "code": f"local-{uuid.uuid4().hex[:6].translate(LETTERS)}",
            "name_vi": "Địa phương",
            "name_en": "Local",
        },
    )
    world.created["create_facility"] = await api.post(
        "/api/v1/facilities",
        json={
            "code": f"L{unique_digits(4)}",
            "name": "Trạm Y tế xã Mường Phăng",
            "level": "commune-health-station",
            "commune_code": "03325",
        },
    )
    return world


async def test_every_create_sends_a_location_that_reads_what_it_created(
    api: httpx.AsyncClient, world: World
) -> None:
    creates = {op["operationId"] for _, _, op in operations() if "201" in op["responses"]}
    assert set(world.created) == creates
    for operation_id, response in world.created.items():
        location = response.headers.get("Location")
        assert location, f"{operation_id} sends no Location"
        read = await api.get(location)
        assert read.status_code == 200, (operation_id, location, read.text)
        key = "id" if "id" in response.json() else "code"  # a category is named by its code
        assert read.json()[key] == response.json()[key], operation_id


def _known(path: str, ids: dict[str, str]) -> str | None:
    """``path`` with its parameters filled from ``ids``, or None when one is unknown."""
    names = PATH_PARAMETER.findall(path)
    if not all(FHIR_IDS.get(name, name) in ids for name in names):
        return None
    for name in names:
        path = path.replace(f"{{{name}}}", ids[FHIR_IDS.get(name, name)])
    return path


def _plain_gets(prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """The GETs under ``prefix`` whose only required parameters are in the path."""
    return [
        (path, operation)
        for path, method, operation in operations()
        if method == "get"
        and path.startswith(prefix)
        and all(p["in"] == "path" for p in operation.get("parameters", []) if p["required"])
    ]


async def test_a_read_declares_etag_exactly_when_it_sends_one(
    api: httpx.AsyncClient, world: World
) -> None:
    visited: set[str] = set()
    for path, operation in _plain_gets("/api/v1/"):
        url = _known(path, world.ids)
        if url is None:
            continue
        response = await api.get(url)
        assert response.status_code == 200, (path, response.text)
        sent = "ETag" in response.headers
        assert sent == _declares_etag(operation), (path, response.headers.get("ETag"))
        if sent:
            assert response.headers["ETag"] == f'"{response.json()["version"]}"', path
        visited.add(operation["operationId"])
    declared = {op["operationId"] for path, op in _plain_gets("/api/v1/") if _declares_etag(op)}
    assert declared <= visited
    assert {"get_beneficiary", "get_facility_service", "get_result", "get_user"} <= declared


async def test_fhir_reads_declare_and_send_their_weak_etag(
    api: httpx.AsyncClient, world: World
) -> None:
    reads = [(path, op) for path, op in _plain_gets("/fhir/r4/") if path.endswith("_id}")]
    assert len(reads) >= 11
    assert all(_declares_etag(op) for _, op in reads)
    sampled = 0
    for path, _ in reads:
        url = _known(path, world.ids)
        if url is None:
            continue
        response = await api.get(url)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["ETag"] == f'W/"{response.json()["meta"]["versionId"]}"', path
        sampled += 1
    assert sampled >= 9


def test_receipts_and_adjustments_link_to_the_lot_they_answer_with() -> None:
    paths = openapi_document()["paths"]
    for action in ("receipts", "adjustments"):
        created = paths[f"/api/v1/facilities/{{facility_id}}/stock/{action}"]["post"]
        link = created["responses"]["201"]["links"]["get_stock_lot"]
        assert link["parameters"] == {
            "path.facility_id": "$request.path.facility_id",
            "path.lot_id": "$response.body#/id",
        }
