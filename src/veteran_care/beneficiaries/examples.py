"""Examples of the registry's shapes in the OpenAPI document: a wounded soldier of Điện Biên Phủ
born in 1948, and his health-insurance card."""

from typing import Any

from veteran_care.kit.examples import (
    BENEFICIARY_ID,
    CARD_ID,
    CREATED_AT,
    FACILITY_ID,
    UPDATED_AT,
)

BENEFICIARY_CREATE: dict[str, Any] = {
    "full_name": "Nguyễn Văn An",
    "birth_year": 1948,
    "sex": "male",
    "ethnicity_code": "01",
    "national_id": "011048001234",
    "bhxh_number": "1122334455",
    "phone": "0912 345 678",
    "commune_code": "03127",
    "address_line": "Tổ dân phố 5, phường Mường Thanh",
    "legacy_district": "Thành phố Điện Biên Phủ",
    "registered_facility_id": FACILITY_ID,
    "categories": [
        {
            "code": "wounded-soldier",
            "disability_rate": 61,
            "recognition_date": "1975-06-12",
            "decision_number": "1234/QĐ-TB",
            "issuing_authority": "Bộ Tư lệnh Quân khu 2",
            "main": True,
        },
        {"code": "veteran", "recognition_date": "1990-03-15"},
    ],
}
BENEFICIARY_UPDATE: dict[str, Any] = {
    "phone": "0987 654 321",
    "address_line": "Bản Him Lam 2, phường Him Lam",
}
CARD_CREATE: dict[str, Any] = {
    "number": "CC1111122334455",
    "valid_from": "2027-01-01",
    "valid_to": "2027-12-31",
    "registration_facility_code": "11001",
}
CARD_READ: dict[str, Any] = {
    "id": CARD_ID,
    "beneficiary_id": BENEFICIARY_ID,
    "number": "CC1111122334455",
    "number_format": "legacy-15",
    "object_code": "CC",
    "benefit_level": 1,
    "province_code": "11",
    "bhxh_number": "1122334455",
    "valid_from": "2027-01-01",
    "valid_to": "2027-12-31",
    "registration_facility_code": "11001",
    "status": "active",
    "version": 1,
    "created_at": CREATED_AT,
    "updated_at": CREATED_AT,
}
BENEFICIARY_READ: dict[str, Any] = {
    "id": BENEFICIARY_ID,
    "full_name": "Nguyễn Văn An",
    "birth_date": None,
    "birth_year": 1948,
    "sex": "male",
    "ethnicity_code": "01",
    "national_id": "011048001234",
    "national_id_type": "cccd",
    "bhxh_number": "1122334455",
    "phone": "0912345678",
    "commune_code": "03127",
    "address_line": "Tổ dân phố 5, phường Mường Thanh",
    "legacy_district": "Thành phố Điện Biên Phủ",
    "registered_facility_id": FACILITY_ID,
    "categories": [
        {
            "code": "wounded-soldier",
            "disability_rate": 61,
            "recognition_date": "1975-06-12",
            "decision_number": "1234/QĐ-TB",
            "issuing_authority": "Bộ Tư lệnh Quân khu 2",
            "main": True,
        },
        {
            "code": "veteran",
            "disability_rate": None,
            "recognition_date": "1990-03-15",
            "decision_number": None,
            "issuing_authority": None,
            "main": False,
        },
    ],
    "status": "active",
    "date_of_death": None,
    "current_card": CARD_READ,
    "version": 2,
    "created_at": CREATED_AT,
    "updated_at": UPDATED_AT,
}
