"""The Python client generated from the OpenAPI document works, unedited, against a live server.

openapi-python-client generates `veteran_care_client` from the code's document (the committed
`openapi.json`, which tests/test_contract.py keeps equal) into a temporary directory; the run
fails on any generator warning, and the operations and models must pass `mypy --strict`. The
smoke test then drives a real uvicorn through the client
only: log in, set up a facility with a service and sessions, register a beneficiary with a card,
book and check in a checkup, record a result as a clinician, receive stock and dispense as a
pharmacist, and pull the attendance report that counts the visit.
"""

import importlib
import json
import pkgutil
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.document import openapi_document
from tests.scheduling.test_concurrency import ADMIN_PASSWORD, Server
from veteran_care.kit.clock import today

pytestmark = pytest.mark.slow

PACKAGE = "veteran_care_client"
GENERATOR_CONFIG = Path(__file__).parents[2] / "clients" / "python" / "openapi-python-client.yml"
STAFF_PASSWORD = "contract-smoke-" + "s" * 16


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """Generate the client, import every module of it, and yield the package."""
    root = tmp_path_factory.mktemp("python-client")
    document = root / "openapi.json"
    document.write_text(json.dumps(openapi_document()), encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    command = shutil.which("openapi-python-client", path=str(bin_dir))
    assert command, "openapi-python-client is not installed (pip install -e '.[dev]')"
    run = subprocess.run(
        [
            *(command, "generate", "--meta", "none", "--config", str(GENERATOR_CONFIG)),
            *("--path", str(document), "--output-path", str(root / PACKAGE)),
        ],
        capture_output=True,
        text=True,
        # The generator formats its output with ruff, found on PATH.
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), f"the generator warned:\n{output}"
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(PACKAGE)
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            importlib.import_module(module.name)
        yield package
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_generated_python_client_type_checks_under_mypy_strict(generated: ModuleType) -> None:
    """Every operation and model (what the document decides) passes `mypy --strict`.

    `client.py` is the generator's own template, the same for every API; it is imported but not
    reported (its `__exit__(*args: object)` does not match httpx's stubs under current mypy)."""
    package = Path(generated.__path__[0])
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert mypy, "mypy is not installed (pip install -e '.[dev]')"
    checked = [str(package / name) for name in ("api", "models", "types.py", "errors.py")]
    run = subprocess.run(
        [mypy, "--strict", "--no-incremental", "--follow-imports=silent", *checked],
        capture_output=True,
        text=True,
        cwd=package.parent,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


class Api:
    """The generated modules by short name: `api.call("checkups.book_checkup", ...)`."""

    def __init__(self, package: ModuleType, base_url: str) -> None:
        self.package = package
        self.base_url = base_url
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.clients: list[Any] = []

    def close(self) -> None:
        for client in self.clients:
            client.get_httpx_client().close()

    def login(self, username: str, password: str) -> Any:
        client = self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True)
        self.clients.append(client)
        token = self.call(
            "identity.issue_token",
            client,
            body=self.models.TokenRequest(username=username, password=password),
        )
        assert isinstance(token, self.models.Token), token
        authenticated = self.package.AuthenticatedClient(
            base_url=self.base_url, token=token.access_token, raise_on_unexpected_status=True
        )
        self.clients.append(authenticated)
        return authenticated

    def call(self, name: str, client: Any, *args: Any, expect: int = 200, **kwargs: Any) -> Any:
        module = importlib.import_module(f"{PACKAGE}.api.{name}")
        response = module.sync_detailed(*args, client=client, **kwargs)
        assert response.status_code == expect, (name, response.status_code, response.content)
        return response.parsed


@pytest.fixture
def api(generated: ModuleType, server: Server) -> Iterator[Api]:
    api = Api(generated, server.base_url)
    try:
        yield api
    finally:
        api.close()


def test_generated_python_client_drives_a_live_server(api: Api) -> None:
    m = api.models
    admin = api.login("admin", ADMIN_PASSWORD)
    me = api.call("identity.me", admin)
    assert me.login == "admin"

    # Reference data, read through the client.
    commune = api.call("reference.list_communes", admin).items[0]
    specialty = api.call("scheduling.list_specialties", admin).items[0]

    # A facility, its service with a weekly timetable, and sessions for the coming days.
    facility = api.call(
        "facilities.create_facility",
        admin,
        body=m.FacilityCreate(
            code="CT001",
            name="Trung tâm Y tế hợp đồng",
            level=m.FacilityLevel.REGIONAL_MEDICAL_CENTRE,
            commune_code=commune.code,
        ),
        expect=201,
    )
    every_slot = [m.Slot(weekday=d, part_of_day=p) for d in range(1, 8) for p in m.PartOfDay]
    api.call(
        "scheduling.create_facility_service",
        admin,
        facility.id,
        body=m.ServiceCreate(
            specialty_code=specialty.code, timetable=every_slot, default_capacity=5
        ),
        expect=201,
    )
    generated_sessions = api.call(
        "scheduling.generate_sessions",
        admin,
        body=m.SessionGenerate(
            facility_id=facility.id, date_from=today(), date_to=today() + timedelta(days=3)
        ),
    )
    assert generated_sessions.created == 8

    # A beneficiary with a valid card.
    person = api.call(
        "beneficiaries.create_beneficiary",
        admin,
        body=m.BeneficiaryCreate(
            full_name="Lò Văn Hợp Đồng",
            sex=m.Sex.MALE,
            birth_year=1952,
            ethnicity_code="03",
            bhxh_number="1199887766",
            commune_code=commune.code,
            categories=[m.CategoryIn(code="veteran")],
        ),
        expect=201,
    )
    card = api.call(
        "beneficiaries.create_card",
        admin,
        person.id,
        body=m.CardCreate(
            number="CB2111199887766",
            valid_from=today() - timedelta(days=365),
            valid_to=today() + timedelta(days=365),
            registration_facility_code="11001",
        ),
        expect=201,
    )
    assert card.bhxh_number == "1199887766"

    # Book today's checkup and check the person in.
    checkup = api.call(
        "checkups.book_checkup",
        admin,
        body=m.CheckupCreate(
            beneficiary_id=person.id,
            facility_id=facility.id,
            date=today(),
            specialty_codes=[specialty.code],
        ),
        expect=201,
    )
    api.call("checkups.check_in_checkup", admin, checkup.id)

    # Staff with the clinical and pharmacy roles, created and logged in through the client.
    for username, role in (
        ("contract.clinician", m.Role.CLINICIAN),
        ("contract.pharma", m.Role.PHARMACIST),
    ):
        api.call(
            "identity.create_user",
            admin,
            body=m.UserCreate(
                username=username,
                full_name=username,
                password=STAFF_PASSWORD,
                roles=[role],
                province_wide=True,
            ),
            expect=201,
        )
    clinician = api.login("contract.clinician", STAFF_PASSWORD)
    pharmacist = api.login("contract.pharma", STAFF_PASSWORD)

    result = api.call(
        "results.record_result",
        clinician,
        checkup.appointments[0].id,
        body=m.ResultCreate(
            systolic_mmhg=150,
            diastolic_mmhg=95,
            heart_rate_bpm=78,
            weight_kg=58.0,
            height_cm=160.0,
            findings="Tim đều, phổi không ran.",
            diagnoses=[m.DiagnosisIn(code="I10", principal=True)],
        ),
        expect=201,
    )
    assert result.diagnoses[0].code == "I10"

    # A medicine, a receipt into the facility's stock, and a dispense from it.
    medicine = api.call(
        "pharmacy.create_medicine",
        admin,
        body=m.MedicineCreate(
            code="CT-PARA-500",
            name="Paracetamol 500 mg (contract)",
            active_ingredient="paracetamol",
            strength="500 mg",
            dosage_form="tablet",
            unit="tablet",
            atc_code="N02BE01",
        ),
        expect=201,
    )
    api.call(
        "pharmacy.receive_stock",
        pharmacist,
        facility.id,
        body=m.ReceiptIn(
            medicine_id=medicine.id,
            lot_number="CT-LOT-1",
            expiry_date=today() + timedelta(days=400),
            quantity=20,
            supplier="Công ty Dược Điện Biên",
        ),
        expect=201,
    )
    dispense = api.call(
        "pharmacy.create_dispense",
        pharmacist,
        body=m.DispenseIn(
            beneficiary_id=person.id,
            facility_id=facility.id,
            medicine_id=medicine.id,
            checkup_id=checkup.id,
            quantity=6,
            days_of_supply=3,
            dosage_instructions="Uống 1 viên khi sốt, cách 6 giờ",
        ),
        expect=201,
    )
    assert dispense.quantity == 6
    stock = api.call("pharmacy.get_stock", pharmacist, facility.id)
    assert [line.on_hand for line in stock.medicines] == [14]

    # The attendance report counts the visit.
    report = api.call("reports.attendance_report", admin, date_from=today(), date_to=today())
    assert report.report == "attendance"
    assert "booked" in report.figures.to_dict()  # what each figure counts
    totals = report.rows[0].to_dict()
    assert (totals["booked"], totals["attended"]) == (1, 1), totals
