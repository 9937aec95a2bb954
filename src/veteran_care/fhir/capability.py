"""The CapabilityStatement: what the FHIR view supports (read and search, no writes)."""

from typing import Any

from veteran_care import __version__
from veteran_care.fhir.codes import FHIR_MEDIA_TYPE, FHIR_VERSION

# resource type -> its search parameters (name, type); `_count` and `_cursor` page every search.
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


def capability_statement(software_date: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for resource_type, params in SEARCH.items():
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                *({"name": name, "type": kind} for name, kind in params),
                {"name": "_count", "type": "number"},
            ],
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
