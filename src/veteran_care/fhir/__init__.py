"""A read-only HL7 FHIR R4 view of the registry, checkups, results and dispenses (/fhir/r4)."""
