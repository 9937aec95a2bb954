"""Examples of results and conclusions in the OpenAPI document: the internal-medicine result
of a veteran with high blood pressure, at the 27 July 2027 drive."""

from typing import Any

from veteran_care.kit.examples import (
    APPOINTMENT_ID,
    BENEFICIARY_ID,
    CHECKUP_ID,
    USER_ID,
)

RESULT_CREATE: dict[str, Any] = {
    "systolic_mmhg": 152,
    "diastolic_mmhg": 94,
    "heart_rate_bpm": 78,
    "temperature_c": 36.8,
    "weight_kg": 56.5,
    "height_cm": 162.0,
    "glucose_mmol_l": 6.4,
    "findings": "Tỉnh, tiếp xúc tốt. Tim đều, phổi không rale. Huyết áp cao.",
    "diagnoses": [
        {"code": "I10", "principal": True},
        {"code": "E11.9", "principal": False},
    ],
}
RESULT_AMEND: dict[str, Any] = {
    "reason": "Đo lại huyết áp sau 15 phút nghỉ",
    "systolic_mmhg": 146,
    "diastolic_mmhg": 90,
}
RESULT_READ: dict[str, Any] = {
    "id": "8c2e5b7a-1f4d-4a93-b6e0-3d9c7f1a2e54",
    "appointment_id": APPOINTMENT_ID,
    "checkup_id": CHECKUP_ID,
    "beneficiary_id": BENEFICIARY_ID,
    "specialty_code": "internal-medicine",
    "status": "final",
    "systolic_mmhg": 152,
    "diastolic_mmhg": 94,
    "heart_rate_bpm": 78,
    "temperature_c": "36.8",
    "weight_kg": "56.5",
    "height_cm": "162.0",
    "bmi": "21.5",
    "glucose_mmol_l": "6.4",
    "visual_acuity_left": None,
    "visual_acuity_right": None,
    "findings": "Tỉnh, tiếp xúc tốt. Tim đều, phổi không rale. Huyết áp cao.",
    "diagnoses": [
        {"code": "I10", "title": "Essential (primary) hypertension", "principal": True},
        {
            "code": "E11.9",
            "title": "Type 2 diabetes mellitus without complications",
            "principal": False,
        },
    ],
    "amendments": [],
    "recorded_by": USER_ID,
    "version": 1,
    "created_at": "2027-07-27T02:40:00Z",
    "updated_at": "2027-07-27T02:40:00Z",
}
CONCLUSION_IN: dict[str, Any] = {
    "health_class": "III",
    "conclusion": "Tăng huyết áp độ 1, đái tháo đường type 2 ổn định.",
    "recommendations": "Dùng thuốc huyết áp đều đặn, ăn nhạt, tái khám tại trạm y tế xã.",
    "follow_up_on": "2027-08-27",
}
