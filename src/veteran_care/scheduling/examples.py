"""Examples of scheduling's shapes in the OpenAPI document: the 27 July 2027 drive at the
provincial hospital of Điện Biên."""

from typing import Any

from veteran_care.kit.examples import (
    APPOINTMENT_ID,
    BENEFICIARY_ID,
    CAMPAIGN_ID,
    CHECKUP_ID,
    CREATED_AT,
    FACILITY_ID,
    SERVICE_ID,
    SESSION_ID,
    UPDATED_AT,
)

SERVICE_CREATE: dict[str, Any] = {
    "specialty_code": "ultrasound",
    "timetable": [
        {"weekday": 1, "part_of_day": "morning"},
        {"weekday": 3, "part_of_day": "morning"},
        {"weekday": 5, "part_of_day": "afternoon"},
    ],
    "default_capacity": 30,
}
SERVICE_UPDATE: dict[str, Any] = {"default_capacity": 40}
SESSION_GENERATE: dict[str, Any] = {
    "facility_id": FACILITY_ID,
    "date_from": "2027-07-19",
    "date_to": "2027-07-30",
    "specialty_codes": ["internal-medicine", "ultrasound", "electrocardiography"],
}
SESSION_CREATE: dict[str, Any] = {
    "service_id": SERVICE_ID,
    "date": "2027-07-24",
    "part_of_day": "morning",
    "capacity": 50,
}
SESSION_READ: dict[str, Any] = {
    "id": SESSION_ID,
    "service_id": SERVICE_ID,
    "facility_id": FACILITY_ID,
    "venue_id": None,
    "specialty_code": "ultrasound",
    "date": "2027-07-27",
    "part_of_day": "morning",
    "capacity": 30,
    "booked": 12,
    "places_left": 18,
    "status": "open",
    "cancel_reason": None,
    "version": 13,
    "created_at": CREATED_AT,
    "updated_at": UPDATED_AT,
}
CHECKUP_CREATE: dict[str, Any] = {
    "beneficiary_id": BENEFICIARY_ID,
    "facility_id": FACILITY_ID,
    "date": "2027-07-27",
    "specialty_codes": ["internal-medicine", "ultrasound", "electrocardiography"],
    "campaign_id": CAMPAIGN_ID,
    "part_of_day": "morning",
}
CHECKUP_READ: dict[str, Any] = {
    "id": CHECKUP_ID,
    "beneficiary_id": BENEFICIARY_ID,
    "facility_id": FACILITY_ID,
    "campaign_id": CAMPAIGN_ID,
    "date": "2027-07-27",
    "status": "planned",
    "part_of_day": "morning",
    "card_override_reason": None,
    "rescheduled_from_id": None,
    "appointments": [
        {
            "id": APPOINTMENT_ID,
            "checkup_id": CHECKUP_ID,
            "session_id": SESSION_ID,
            "beneficiary_id": BENEFICIARY_ID,
            "facility_id": FACILITY_ID,
            "specialty_code": "ultrasound",
            "date": "2027-07-27",
            "status": "booked",
            "cancelled_by": None,
            "cancel_reason": None,
            "rescheduled_from_id": None,
            "rescheduled_to_id": None,
            "version": 1,
            "created_at": UPDATED_AT,
            "updated_at": UPDATED_AT,
        }
    ],
    "version": 1,
    "created_at": UPDATED_AT,
    "updated_at": UPDATED_AT,
}
RESCHEDULE: dict[str, Any] = {
    "date": "2027-07-29",
    "part_of_day": "afternoon",
    "cancelled_by": "patient",
    "reason": "Con trai đưa đi khám được vào chiều thứ Năm",
}
NO_SHOW_RUN: dict[str, Any] = {"before": "2026-07-28", "facility_id": FACILITY_ID}
CAMPAIGN_CREATE: dict[str, Any] = {
    "name": "Khám sức khỏe định kỳ 27/7/2027",
    "starts_on": "2027-07-19",
    "ends_on": "2027-07-30",
    "facility_ids": [FACILITY_ID],
    "target_categories": ["wounded-soldier", "sick-soldier", "veteran"],
    "specialty_codes": ["internal-medicine", "ultrasound", "electrocardiography"],
    "sponsor": "Hội Chữ thập đỏ tỉnh Điện Biên",
}
CAMPAIGN_READ: dict[str, Any] = {
    "id": CAMPAIGN_ID,
    **CAMPAIGN_CREATE,
    "version": 1,
    "created_at": CREATED_AT,
    "updated_at": CREATED_AT,
}
BULK_SCHEDULE: dict[str, Any] = {
    "facility_id": FACILITY_ID,
    "commune_codes": ["03127", "03325"],
    "categories": ["wounded-soldier"],
    "limit": 500,
}
