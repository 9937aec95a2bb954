"""Examples of facilities in the OpenAPI document: the provincial general hospital."""

from typing import Any

from veteran_care.kit.examples import CREATED_AT, FACILITY_ID

FACILITY_CREATE: dict[str, Any] = {
    "code": "11001",
    "name": "Bệnh viện Đa khoa tỉnh Điện Biên",
    "level": "provincial-hospital",
    "commune_code": "03127",
    "address": "Tổ dân phố 10, phường Mường Thanh, tỉnh Điện Biên",
}
FACILITY_READ: dict[str, Any] = {
    "id": FACILITY_ID,
    **FACILITY_CREATE,
    "active": True,
    "version": 1,
    "created_at": CREATED_AT,
    "updated_at": CREATED_AT,
}
