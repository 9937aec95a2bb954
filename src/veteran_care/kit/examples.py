"""Ids and timestamps shared by the examples of the OpenAPI document, so that one example's
facility is the next one's facility (a reader can follow a beneficiary from registration to
the medicines handed out)."""

FACILITY_ID = "3f2b8c1e-6d4a-4e0b-9a57-1c8e2f6b4d90"  # Bệnh viện Đa khoa tỉnh Điện Biên
SERVICE_ID = "a6c1e4f2-2b7d-4a9e-8c31-5e0d9b7f3a12"  # its ultrasound service
SESSION_ID = "c8e5a2d7-9f14-4b63-a0e8-7d2c6b1f5e94"  # 27 July 2027, morning
BENEFICIARY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"  # Nguyễn Văn An, born 1948
CARD_ID = "6b1d9e3a-4c2f-4f87-b5a0-92e7c3d8f146"
CAMPAIGN_ID = "e2a7c9f4-1d3b-4c58-9e06-4b8f2a6d7c31"
CHECKUP_ID = "9d4b2e7c-5a1f-4e36-8b9c-0f7a3d6e2c58"
APPOINTMENT_ID = "4e7c1a9d-8b2f-4d05-a3e6-6c9f0b2d8e17"
MEDICINE_ID = "7a3e9c2b-0d6f-4b18-9c4a-e5f1b8d2a760"  # Paracetamol 500 mg
LOT_ID = "b5f2d8a1-3e9c-4a76-8d0b-1f6e4c9a2b83"
DISPENSE_ID = "d1c6f3b9-7e2a-4f50-b8d4-3a9e0c5f7b26"
USER_ID = "2c9e7f1a-5b3d-4a68-9f0e-8d1b6a4c3e75"  # a scheduler of the provincial hospital
CLIENT_ID = "f4a8d2c6-9e1b-4c73-a5f0-7b3e1d9c6a48"  # the department's reporting system
CREATED_AT = "2027-07-01T01:30:00Z"
UPDATED_AT = "2027-07-20T02:15:00Z"
