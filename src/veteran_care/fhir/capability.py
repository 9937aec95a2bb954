"""The CapabilityStatement: what the FHIR view supports (read and search, no writes), exactly:
controls.py refuses (strict) or leaves out (lenient) every search parameter not declared here."""

from typing import Any

from veteran_care import __version__
from veteran_care.fhir.codes import (
    BHYT_SYSTEM,
    CCCD_SYSTEM,
    CMND_SYSTEM,
    FACILITY_CODE_SYSTEM,
    FHIR_MEDIA_TYPE,
    FHIR_VERSION,
    OLD_INSURANCE_NUMBER_SYSTEM,
    OLD_NATIONAL_ID_SYSTEM,
    OLD_PROVIDER_CODE_SYSTEM,
)
from veteran_care.fhir.queries import SORTS
from veteran_care.fhir.search import MAX_IDS
from veteran_care.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT

# resource type -> its search parameters (name, type). Every search also takes the result
# parameters below; the `_cursor` of a `next` link pages it.
SEARCH: dict[str, list[tuple[str, str]]] = {
    "Patient": [("identifier", "token"), ("name", "string"), ("birthdate", "date")],
    "Coverage": [("patient", "reference")],
    "Organization": [("identifier", "token"), ("active", "token")],
    "Location": [("identifier", "token"), ("status", "token")],
    "HealthcareService": [("organization", "reference")],
    "Appointment": [("patient", "reference"), ("encounter", "reference")],
    "Encounter": [("patient", "reference"), ("date", "date"), ("status", "token")],
    "Observation": [("patient", "reference"), ("encounter", "reference")],
    "Condition": [("patient", "reference"), ("encounter", "reference")],
    "MedicationDispense": [("patient", "reference")],
    "Medication": [("code", "token")],
}

# The identifier systems a search takes: VN Core's (HL7 Vietnam), which resources carry, and
# the earlier draft's, still accepted (docs/decisions/0028).
PATIENT_IDENTIFIER = (
    f"`{CCCD_SYSTEM}|<CCCD>`, `{CMND_SYSTEM}|<CMND>`, `{BHYT_SYSTEM}|<BHXH or card number>`, "
    "or the value alone: exact, province-wide. `<system>|`: anyone with an identifier of the "
    f"system, within the caller's scope. Also accepted: `{OLD_NATIONAL_ID_SYSTEM}` (CCCD or "
    f"CMND) and `{OLD_INSURANCE_NUMBER_SYSTEM}` (as `{BHYT_SYSTEM}`)."
)
FACILITY_IDENTIFIER = (
    f"`{FACILITY_CODE_SYSTEM}|<facility code>`, the code alone, or `{FACILITY_CODE_SYSTEM}|` "
    f"(any). Also accepted: `{OLD_PROVIDER_CODE_SYSTEM}`."
)
DOCUMENTATION: dict[tuple[str, str], str] = {
    ("Patient", "identifier"): PATIENT_IDENTIFIER,
    ("Organization", "identifier"): FACILITY_IDENTIFIER,
    ("Location", "identifier"): FACILITY_IDENTIFIER,
}


RESULT_PARAMETERS: list[tuple[str, str, str]] = [
    (
        "_id",
        "token",
        f"One id or a comma-separated list (up to {MAX_IDS}); an unknown id matches nothing.",
    ),
    (
        "_count",
        "number",
        f"Page size, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT}); 0 gives the total only.",
    ),
    ("_summary", "token", "`count` only: `total`, no entries (`false` is the default)."),
    (
        "_elements",
        "special",
        "Top-level elements, comma-separated; `id`, `meta` and mandatory elements always "
        "come, and the resource is tagged SUBSETTED.",
    ),
]
HANDLING = (
    "Search parameters not declared here (others, modifiers, chains, `_include`, `_total`, "
    "other `_summary` values) are left out, also of the Bundle's `self` link; with `Prefer: "
    "handling=strict` they are refused (400). `Bundle.total` comes with `_summary=count` "
    "(or `_count=0`) and when the first page is the whole result. JSON only: other formats 406."
)


def search_parameters(resource_type: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name, kind in SEARCH[resource_type]:
        found.append({"name": name, "type": kind})
        if documentation := DOCUMENTATION.get((resource_type, name)):
            found[-1]["documentation"] = documentation
    found += [{"name": n, "type": t, "documentation": d} for n, t, d in RESULT_PARAMETERS]
    if sorts := list(SORTS.get(resource_type, ())):
        documentation = f"One of: {', '.join(sorts)} (one key)."
        found.append({"name": "_sort", "type": "special", "documentation": documentation})
    return found


def capability_statement(software_date: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for resource_type in SEARCH:
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "versioned",
            "searchParam": search_parameters(resource_type),
        }
        if resource_type == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": software_date,
        "kind": "instance",
        "software": {"name": "Veteran Care", "version": __version__},
        "implementation": {"description": "Veteran Care: a read-only FHIR R4 view"},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_MEDIA_TYPE, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": HANDLING,
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "Bearer token from /api/v1/auth/token; roles and facility "
                    "scope as in /api/v1.",
                },
                "resource": resources,
            }
        ],
    }
