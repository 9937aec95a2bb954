"""Examples of accounts in the OpenAPI document: a scheduler of the provincial hospital and the
department's reporting system."""

from typing import Any

from veteran_care.kit.examples import CREATED_AT, FACILITY_ID, UPDATED_AT, USER_ID

USER_CREATE: dict[str, Any] = {
    "username": "tran.thi.hoa",
    "full_name": "Trần Thị Hoa",
    "password": "đổi mật khẩu ngay lần đầu",
    "roles": ["scheduler"],
    "province_wide": False,
    "facility_ids": [FACILITY_ID],
}
CLIENT_CREATE: dict[str, Any] = {
    "client_id": "so-noi-vu-dien-bien",
    "name": "Hệ thống báo cáo Sở Nội vụ tỉnh Điện Biên",
    "roles": ["reporter"],
    "province_wide": True,
}
ACCOUNT_UPDATE: dict[str, Any] = {"roles": ["scheduler", "clinician"]}
USER_READ: dict[str, Any] = {
    "id": USER_ID,
    "username": "tran.thi.hoa",
    "full_name": "Trần Thị Hoa",
    "roles": ["scheduler"],
    "province_wide": False,
    "facility_ids": [FACILITY_ID],
    "province_codes": [],
    "nation_wide": False,
    "active": True,
    "version": 1,
    "created_at": CREATED_AT,
    "updated_at": UPDATED_AT,
}
