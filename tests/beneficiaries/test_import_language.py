"""An import's row errors in the language of `Accept-Language`: the rules' own words, the API's
schema messages (as a 422 says them) and nested paths; the column stays the English field."""

from typing import Any

import httpx

from tests.beneficiaries.test_import import csv_bytes, person
from tests.factories import create_beneficiary


async def _errors(
    client: httpx.AsyncClient, path: str, rows: list[dict[str, str]], language: str
) -> dict[int, tuple[str | None, str]]:
    response = await client.post(
        f"/api/v1/beneficiaries/{path}",
        files={"file": ("danh-sach.csv", csv_bytes(rows), "text/csv")},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return {e["line"]: (e["field"], e["message"]) for e in body["errors"]}


ROWS = [
    person("Lò Văn Hai", cccd="12345"),  # the schema's pattern
    person("Lò Văn Ba", ma_xa="99999"),  # a rule with a value
    person("Lò Văn Bốn", doi_tuong="wounded-soldier"),  # a category rule
    person("Lò Văn Năm", ngay_sinh="2999-01-01"),  # a field validator
    person("Lò Văn Sáu", ngay_sinh="31/02/1950"),  # an unreadable cell
    person(""),  # no name: pydantic's own `missing`
]


async def test_row_errors_of_the_beneficiary_import_in_vietnamese_and_english(
    client: httpx.AsyncClient,
) -> None:
    vi = await _errors(client, "import", ROWS, "vi")
    en = await _errors(client, "import", ROWS, "en")
    assert vi == {
        2: ("national_id", "Chuỗi phải khớp mẫu '^([0-9]{9}|[0-9]{12})$'"),
        3: ("commune_code", "không có xã/phường nào có mã 99999"),
        4: ("categories", "diện wounded-soldier phải có tỷ lệ tổn thương cơ thể (21-100 %)"),
        5: ("birth_date", "không được là ngày trong tương lai"),
        6: ("birth_date", "không phải một ngày có thật"),
        7: ("full_name", "Trường này là bắt buộc"),
    }
    assert en == {
        2: ("national_id", "String should match pattern '^([0-9]{9}|[0-9]{12})$'"),
        3: ("commune_code", "there is no commune with code 99999"),
        4: ("categories", "a wounded-soldier carries a disability rate (21-100 %)"),
        5: ("birth_date", "must not be in the future"),
        6: ("birth_date", "not a real date"),
        7: ("full_name", "Field required"),
    }
    # the same words a 422 of POST /beneficiaries uses for the same field
    refused = await client.post(
        "/api/v1/beneficiaries",
        json={"birth_year": 1950, "sex": "male", "ethnicity_code": "01"},
        headers={"Accept-Language": "vi"},
    )
    said = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert said["body.full_name"] == vi[7][1]


async def test_a_nested_schema_error_names_its_path_in_both_languages(
    client: httpx.AsyncClient,
) -> None:
    rows = [person("Lò Văn Bảy", doi_tuong="wounded-soldier:150")]
    vi = await _errors(client, "import", rows, "vi")
    en = await _errors(client, "import", rows, "en")
    assert en[2] == (
        "categories",
        "0.disability_rate: Input should be less than or equal to 100",
    )
    assert vi[2] == ("categories", "0.disability_rate: Giá trị phải nhỏ hơn hoặc bằng 100")


async def test_row_errors_of_the_past_check_import_in_vietnamese_and_english(
    client: httpx.AsyncClient,
) -> None:
    known = await create_beneficiary(client)
    rows = [
        {"ma_bhxh": "9999999999", "ngay_kham_gan_nhat": "01/02/2025", "phan_loai_suc_khoe": "II"},
        {"ma_bhxh": known["bhxh_number"], "ngay_kham_gan_nhat": "01/02/2025"},
        {"ma_bhxh": "12", "ngay_kham_gan_nhat": "01/02/2025", "phan_loai_suc_khoe": "I"},
    ]
    for row in rows:
        row.setdefault("phan_loai_suc_khoe", "")
        row["noi_kham"] = "Trạm y tế xã"
    vi = await _errors(client, "past-checks/import", rows, "vi")
    en = await _errors(client, "past-checks/import", rows, "en")
    assert vi[2] == ("bhxh_number", "không có người có công nào mang mã số BHXH này")
    assert en[2] == ("bhxh_number", "no beneficiary has this BHXH number")
    assert vi[3] == (
        "last_check_health_class",
        "thiếu phân loại sức khỏe của lần khám gần nhất (I-V hoặc 1-5)",
    )
    assert en[3] == (
        "last_check_health_class",
        "the health class of the last check is missing (I-V or 1-5)",
    )
    assert vi[4] == ("bhxh_number", "không phải mã số BHXH")
    assert en[4] == ("bhxh_number", "not a BHXH number")
