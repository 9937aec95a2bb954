"""Slips, day lists and the health-check form, read back as text from the PDF the API sends."""

import io
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.printouts.conftest import pdf_pages, session_of
from tests.scheduling.conftest import book, day, person_with_card
from tests.test_conventions import assert_problem
from veteran_care.config import Settings
from veteran_care.kit.clock import today
from veteran_care.models import Role
from veteran_care.printouts import daylist, slip_token
from veteran_care.printouts.content import DayList, DayListRow
from veteran_care.printouts.document import qr_image


def _today() -> str:
    return today().strftime("%d/%m/%Y")


async def test_a_slip_in_vietnamese_says_who_when_where_and_what_to_bring(
    client: httpx.AsyncClient, booked_today: list[dict[str, Any]]
) -> None:
    checkup = booked_today[0]
    [page] = pdf_pages(await client.get(f"/api/v1/checkups/{checkup['id']}/slip"))
    for text in (
        "GIẤY HẸN KHÁM SỨC KHỎE",
        "Lò Văn Pọm",
        "Năm sinh: 1948",
        f"Buổi sáng, {_today()}",
        "Nội khoa",
        "Siêu âm",
        "Khi đi khám, xin mang theo:",
        "Căn cước công dân (CCCD)",
        "Thẻ bảo hiểm y tế (BHYT)",
        "Kết quả khám, xét nghiệm lần gần nhất",
    ):
        assert text in page, (text, page)
    # A slip travels: the CCCD shows its last four digits only.
    assert "********" in page


async def test_the_slips_qr_code_is_the_signed_code_of_the_checkup(
    client: httpx.AsyncClient, settings: Settings, booked_today: list[dict[str, Any]]
) -> None:
    checkup_id = booked_today[0]["id"]
    response = await client.get(f"/api/v1/checkups/{checkup_id}/slip")
    [image] = PdfReader(io.BytesIO(response.content)).pages[0].images
    token = slip_token.sign(settings.secret_key, uuid.UUID(checkup_id))
    assert image.image is not None
    assert image.image.convert("L").tobytes() == qr_image(token).tobytes()
    assert slip_token.verify(settings.secret_key, token) == uuid.UUID(checkup_id)


async def test_a_slip_in_english_on_request(
    client: httpx.AsyncClient, booked_today: list[dict[str, Any]]
) -> None:
    url = f"/api/v1/checkups/{booked_today[0]['id']}/slip"
    [page] = pdf_pages(await client.get(url, headers={"Accept-Language": "en"}))
    assert "APPOINTMENT SLIP FOR A HEALTH CHECK" in page
    assert f"Morning, {_today()}" in page


async def test_a_sessions_slips_two_to_a_sheet(
    client: httpx.AsyncClient, clinic: dict[str, Any], booked_today: list[dict[str, Any]]
) -> None:
    session = await session_of(client, clinic, "ultrasound")
    pages = pdf_pages(await client.get(f"/api/v1/sessions/{session['id']}/slips"))
    assert len(pages) == 2
    assert pages[0].count("GIẤY HẸN KHÁM SỨC KHỎE") == 2
    text = "".join(pages)
    for name in ("Lò Văn Pọm", "Đặng Thị Ánh", "Quàng Văn Ún"):
        assert name in text


async def test_the_day_list_names_everyone_booked_in_order_with_a_column_to_sign(
    client: httpx.AsyncClient, clinic: dict[str, Any], booked_today: list[dict[str, Any]]
) -> None:
    session = await session_of(client, clinic, "ophthalmology")
    [page] = pdf_pages(await client.get(f"/api/v1/sessions/{session['id']}/day-list"))
    assert "DANH SÁCH NGƯỜI ĐẾN KHÁM SỨC KHỎE" in page
    assert f"Buổi sáng, {_today()}" in page
    for heading in ("STT", "Họ và tên", "Năm", "Xã, phường", "Đối tượng", "Điện thoại", "Ký nhận"):
        assert heading in page
    lines = page.splitlines()
    rows = [next(line for line in lines if name in line) for name in ("Đặng", "Lò", "Quàng")]
    assert rows[0].startswith("1 Đặng Thị Ánh 1949")
    assert rows[1].startswith("2 Lò Văn Pọm 1948")
    assert "0912345670" in rows[1]  # a scheduler sees phones in full
    assert "Cựu chiến binh" in rows[2]
    assert "Tổng số: 3 người." in page


def test_a_long_day_list_repeats_its_headings_on_every_page() -> None:
    rows = [
        DayListRow(n, f"Người Thứ {n}", 1950, "Phường Mường Thanh", "Thương binh", "******5678")
        for n in range(1, 71)
    ]
    pdf = daylist.render(DayList("BV tỉnh", "Siêu âm", date(2027, 7, 27), "morning", rows), "vi")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        assert "Họ và tên" in page
        assert "Ký nhận" in page
        assert f"Trang {number}" in page
    assert "70 Người Thứ 70" in pages[-1]


async def test_the_health_check_form_is_pre_filled_with_the_last_check(
    client: httpx.AsyncClient,
    client_for: Any,
    clinic: dict[str, Any],
    booked_today: list[dict[str, Any]],
) -> None:
    checkup = booked_today[0]
    past = await client.post(
        f"/api/v1/beneficiaries/{checkup['beneficiary_id']}/past-checks",
        json={
            "date": f"{today().year - 1}-07-27",
            "place": "Bệnh viện tỉnh",
            "health_class": "II",
            "systolic_mmhg": 135,
            "diastolic_mmhg": 85,
            "weight_kg": 58.5,
        },
    )
    assert past.status_code == 201, past.text
    clinician = await client_for(Role.clinician, province_wide=False, facility_ids=[clinic["id"]])
    pages = pdf_pages(await clinician.get(f"/api/v1/checkups/{checkup['id']}/health-check-form"))
    text = "\n".join(pages)
    for expected in (
        "PHIẾU KHÁM SỨC KHỎE ĐỊNH KỲ",
        "Thông tư số 32/2023/TT-BYT",
        "Họ và tên: LÒ VĂN PỌM",
        "Dân tộc: Thái",
        "Cựu chiến binh",
        "I. TIỀN SỬ BỆNH",
        "II. KHÁM THỂ LỰC",
        "135/85 mmHg",
        "58.5 kg",
        "III. KHÁM LÂM SÀNG",
        "Tuần hoàn",
        "Tai - Mũi - Họng",
        "IV. KHÁM CẬN LÂM SÀNG",
        "V. KẾT LUẬN",
        f"Phân loại lần trước: loại II (27/07/{today().year - 1})",
        "NGƯỜI KẾT LUẬN",
    ):
        assert expected in text, expected
    assert text.count("Bác sĩ khám (họ tên, chữ ký):") == 7


async def test_printing_is_audited_per_person(
    client: httpx.AsyncClient,
    client_for: Any,
    clinic: dict[str, Any],
    booked_today: list[dict[str, Any]],
) -> None:
    session = await session_of(client, clinic, "ultrasound")
    assert (await client.get(f"/api/v1/sessions/{session['id']}/day-list")).status_code == 200
    auditor = await client_for(Role.auditor)
    events = await auditor.get("/api/v1/audit-events", params={"resource_type": "day_list"})
    assert events.status_code == 200, events.text
    printed = [e for e in events.json()["items"] if e["resource_id"] == session["id"]]
    assert {e["beneficiary_id"] for e in printed} == {c["beneficiary_id"] for c in booked_today}


async def test_who_may_print_what(
    client_for: Any, clinic: dict[str, Any], booked_today: list[dict[str, Any]]
) -> None:
    checkup = booked_today[0]["id"]
    reporter = await client_for(Role.reporter)
    assert_problem(await reporter.get(f"/api/v1/checkups/{checkup}/slip"), 403)
    scheduler = await client_for(Role.scheduler, province_wide=False, facility_ids=[clinic["id"]])
    assert_problem(await scheduler.get(f"/api/v1/checkups/{checkup}/health-check-form"), 403)
    elsewhere = await client_for(Role.scheduler, province_wide=False, facility_ids=[])
    assert_problem(await elsewhere.get(f"/api/v1/checkups/{checkup}/slip"), 404)
    missing = uuid.uuid4()
    assert_problem(await scheduler.get(f"/api/v1/campaigns/{missing}/slips"), 404)
    assert_problem(await scheduler.get(f"/api/v1/sessions/{missing}/day-list"), 404)


@pytest.mark.parametrize(
    "bad",
    [slip_token.sign("another server's key", uuid.UUID(int=7)), "VC1:NOTACODE", "VC1:" + "A" * 42],
)
def test_a_code_not_signed_here_is_refused(settings: Settings, bad: str) -> None:
    with pytest.raises(slip_token.BadToken):
        slip_token.verify(settings.secret_key, bad)


async def test_a_campaigns_slips_name_the_campaign(
    client: httpx.AsyncClient, clinic: dict[str, Any]
) -> None:
    campaign = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "Khám sức khỏe dịp 27/7",
            "starts_on": day(0),
            "ends_on": day(1),
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": ["ultrasound"],
        },
    )
    assert campaign.status_code == 201, campaign.text
    person = await person_with_card(client, full_name="Vì Văn Sáng")
    booked = await book(
        client, clinic, person, day(1), ["ultrasound"], campaign_id=campaign.json()["id"]
    )
    assert booked.status_code == 201, booked.text
    [page] = pdf_pages(await client.get(f"/api/v1/campaigns/{campaign.json()['id']}/slips"))
    assert "Khám sức khỏe dịp 27/7" in page
    assert "Vì Văn Sáng" in page
