"""Examples of the pharmacy's shapes in the OpenAPI document: paracetamol received from a drive's
sponsor and handed to a veteran after his check."""

from typing import Any

from veteran_care.kit.examples import (
    BENEFICIARY_ID,
    CHECKUP_ID,
    CREATED_AT,
    DISPENSE_ID,
    FACILITY_ID,
    LOT_ID,
    MEDICINE_ID,
    USER_ID,
)

MEDICINE_CREATE: dict[str, Any] = {
    "code": "PARA500",
    "name": "Paracetamol 500mg",
    "active_ingredient": "Paracetamol",
    "strength": "500 mg",
    "dosage_form": "viên nén",
    "unit": "viên",
    "atc_code": "N02BE01",
}
MEDICINE_UPDATE: dict[str, Any] = {"name": "Panadol 500mg", "active": True}
MEDICINE_READ: dict[str, Any] = {
    "id": MEDICINE_ID,
    **MEDICINE_CREATE,
    "active": True,
    "version": 1,
    "created_at": CREATED_AT,
    "updated_at": CREATED_AT,
}
RECEIPT_IN: dict[str, Any] = {
    "medicine_id": MEDICINE_ID,
    "lot_number": "PC2607-15",
    "expiry_date": "2029-06-30",
    "quantity": 5000,
    "supplier": "Công ty Cổ phần Dược phẩm Điện Biên",
    "funding_source": "sponsor",
    "sponsor": "Hội Chữ thập đỏ tỉnh Điện Biên",
}
ADJUSTMENT_IN: dict[str, Any] = {
    "lot_id": LOT_ID,
    "quantity": -20,
    "reason": "damaged",
    "note": "Hai hộp bị ẩm khi vận chuyển lên Mường Nhé",
}
DISPENSE_IN: dict[str, Any] = {
    "beneficiary_id": BENEFICIARY_ID,
    "facility_id": FACILITY_ID,
    "medicine_id": MEDICINE_ID,
    "quantity": 20,
    "dosage_instructions": "Uống 1 viên khi sốt hoặc đau, cách nhau ít nhất 6 giờ",
    "days_of_supply": 10,
    "checkup_id": CHECKUP_ID,
}
DISPENSE_READ: dict[str, Any] = {
    "id": DISPENSE_ID,
    "beneficiary_id": BENEFICIARY_ID,
    "checkup_id": CHECKUP_ID,
    "facility_id": FACILITY_ID,
    "medicine_id": MEDICINE_ID,
    "quantity": 20,
    "dosage_instructions": "Uống 1 viên khi sốt hoặc đau, cách nhau ít nhất 6 giờ",
    "days_of_supply": 10,
    "status": "completed",
    "status_reason": None,
    "lots": [{"lot_id": LOT_ID, "quantity": 20}],
    "dispensed_at": "2027-07-27T03:05:00Z",
    "dispensed_by": USER_ID,
    "version": 1,
}
