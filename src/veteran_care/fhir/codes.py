"""Code systems, identifier systems and extension URLs of the FHIR view (docs/decisions/0008,
0028)."""

from typing import Any

FHIR_VERSION = "4.0.1"
FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_PREFIX = "/fhir/r4"

# HL7 Vietnam's VN Core guide (http://fhir.hl7.org.vn/core): the URIs of its NamingSystems,
# which the view emits (docs/decisions/0028).
VN_CORE = "http://fhir.hl7.org.vn/core"
CCCD_SYSTEM = f"{VN_CORE}/sid/cccd"  # 12-digit CCCD (vn-cccd-ns)
CMND_SYSTEM = f"{VN_CORE}/sid/cmnd"  # legacy 9-digit CMND (vn-cmnd-ns, retired, still valid)
BHYT_SYSTEM = f"{VN_CORE}/sid/bhyt"  # BHYT card number, 15 characters or the 10-digit BHXH number
FACILITY_CODE_SYSTEM = f"{VN_CORE}/sid/ma-cskcb"  # 5-character facility (CSKCB) codes

# The systems of the Ministry's earlier draft (http://fhir.ehealth.gov.vn/core) that the view
# emitted before 0028: no longer emitted, still accepted in searches.
OLD_VN_CORE = "http://fhir.ehealth.gov.vn/core"
OLD_NATIONAL_ID_SYSTEM = f"{OLD_VN_CORE}/sid/national_id"  # CCCD or CMND
OLD_INSURANCE_NUMBER_SYSTEM = f"{OLD_VN_CORE}/sid/insurance_number"  # as BHYT_SYSTEM
OLD_PROVIDER_CODE_SYSTEM = f"{OLD_VN_CORE}/sid/provider-code"  # as FACILITY_CODE_SYSTEM
NATIONAL_ID_SYSTEMS = (CCCD_SYSTEM, CMND_SYSTEM, OLD_NATIONAL_ID_SYSTEM)
INSURANCE_SYSTEMS = (BHYT_SYSTEM, OLD_INSURANCE_NUMBER_SYSTEM)
FACILITY_CODE_SYSTEMS = (FACILITY_CODE_SYSTEM, OLD_PROVIDER_CODE_SYSTEM)

# What VN Core does not define yet is ours, under one canonical base (a placeholder on the
# reserved .example domain until the project publishes its own guide: see 0008).
CANONICAL = "https://veteran-care.example/fhir"
ETHNICITY_URL = f"{CANONICAL}/StructureDefinition/ethnicity"
ETHNICITY_SYSTEM = f"{CANONICAL}/CodeSystem/ethnic-group"  # GSO 2-digit national list
CATEGORY_URL = f"{CANONICAL}/StructureDefinition/beneficiary-category"
CATEGORY_SYSTEM = f"{CANONICAL}/CodeSystem/beneficiary-category"
LEGACY_DISTRICT_URL = f"{CANONICAL}/StructureDefinition/legacy-district"
COMMUNE_SYSTEM = f"{CANONICAL}/CodeSystem/commune"  # 5-digit national commune codes
FACILITY_LEVEL_SYSTEM = f"{CANONICAL}/CodeSystem/facility-level"
SPECIALTY_SYSTEM = f"{CANONICAL}/CodeSystem/specialty"
OBJECT_CODE_SYSTEM = f"{CANONICAL}/CodeSystem/insurance-object"  # CC, CB, KC, TS, ...
BENEFIT_LEVEL_SYSTEM = f"{CANONICAL}/CodeSystem/benefit-level"  # 1-5
REGISTRATION_FACILITY_URL = f"{CANONICAL}/StructureDefinition/first-registration-facility"
OBSERVATION_SYSTEM = f"{CANONICAL}/CodeSystem/observation"  # what LOINC is not used for
HEALTH_CLASS_SYSTEM = f"{CANONICAL}/CodeSystem/health-class"  # I-V
ENCOUNTER_TYPE_SYSTEM = f"{CANONICAL}/CodeSystem/encounter-type"
MEDICINE_SYSTEM = f"{CANONICAL}/CodeSystem/medicine"  # the catalogue's own codes
DOSAGE_FORM_SYSTEM = f"{CANONICAL}/CodeSystem/dosage-form"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
COVERAGE_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CANCELLATION_REASON = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
SECURITY_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
ISSUE_TYPE = "http://hl7.org/fhir/issue-type"

# Vital signs: (field, LOINC code, display, UCUM unit). Blood pressure is one panel with two
# components (85354-9: 8480-6 systolic, 8462-4 diastolic).
VITAL_SIGNS: dict[str, tuple[str, str, str]] = {
    "heart-rate": ("8867-4", "Heart rate", "/min"),
    "temperature": ("8310-5", "Body temperature", "Cel"),
    "weight": ("29463-7", "Body weight", "kg"),
    "height": ("8302-2", "Body height", "cm"),
    "bmi": ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2"),
}
GLUCOSE = ("15074-8", "Glucose [Moles/volume] in Blood", "mmol/L")
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"system": system, "code": code}
    if display:
        result["display"] = display
    return result


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if display:
        result["text"] = display
    return result
