"""The shapes of the FHIR view in the OpenAPI document (validated in tests with `fhir.resources`;
here they only tell clients and fuzzers what comes back). Open models: FHIR resources carry more
elements than are listed."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)


class FhirMeta(_Open):
    """FHIR Meta: the resource's version and when it last changed."""

    versionId: str | None = None
    """The record's version (as in the ETag)."""
    lastUpdated: str | None = None
    """When it last changed (FHIR instant)."""


class FhirResource(_Open):
    """Any FHIR R4 resource of the view (more elements than listed may follow)."""

    resourceType: str
    """The FHIR resource type."""
    id: str | None = None
    """The logical id (the API's UUID)."""
    meta: FhirMeta | None = None
    """Version and last change."""


class FhirPatient(FhirResource):
    """A beneficiary as FHIR Patient."""

    resourceType: Literal["Patient"]
    """Always Patient."""
    identifier: list[dict[str, Any]] = Field(default_factory=list)
    """CCCD, BHXH and card numbers, each with its system URI."""
    name: list[dict[str, Any]] = Field(default_factory=list)
    """The name (text, family and given names)."""
    gender: Literal["male", "female", "other", "unknown"] | None = None
    """FHIR AdministrativeGender."""
    birthDate: str | None = None
    """Birth date, or year alone (YYYY)."""


class FhirCoverage(FhirResource):
    """A health-insurance card as FHIR Coverage."""

    resourceType: Literal["Coverage"]
    """Always Coverage."""
    status: Literal["active", "cancelled", "draft", "entered-in-error"]
    """active, cancelled or entered-in-error."""
    beneficiary: dict[str, Any]
    """Reference to the Patient."""


class FhirOrganization(FhirResource):
    """A facility as FHIR Organization."""

    resourceType: Literal["Organization"]
    """Always Organization."""
    name: str | None = None
    """Official name."""


class FhirLocation(FhirResource):
    """A facility's site as FHIR Location."""

    resourceType: Literal["Location"]
    """Always Location."""
    name: str | None = None
    """Official name."""


class FhirHealthcareService(FhirResource):
    """A facility's service (a specialty) as FHIR HealthcareService."""

    resourceType: Literal["HealthcareService"]
    """Always HealthcareService."""


class FhirAppointment(FhirResource):
    """An appointment as FHIR Appointment."""

    resourceType: Literal["Appointment"]
    """Always Appointment."""
    status: str
    """FHIR Appointment.status."""


class FhirEncounter(FhirResource):
    """A checkup as FHIR Encounter."""

    resourceType: Literal["Encounter"]
    """Always Encounter."""
    status: str
    """FHIR Encounter.status."""


class FhirObservation(FhirResource):
    """A measured value or finding of a result as FHIR Observation."""

    resourceType: Literal["Observation"]
    """Always Observation."""
    status: str
    """final, amended or entered-in-error."""
    code: dict[str, Any]
    """What was measured (LOINC where one applies)."""


class FhirCondition(FhirResource):
    """A diagnosis as FHIR Condition."""

    resourceType: Literal["Condition"]
    """Always Condition."""
    code: dict[str, Any] | None = None
    """The ICD-10 code."""


class FhirMedicationDispense(FhirResource):
    """A dispense as FHIR MedicationDispense."""

    resourceType: Literal["MedicationDispense"]
    """Always MedicationDispense."""
    status: str
    """completed, cancelled or entered-in-error."""


class FhirMedication(FhirResource):
    """A medicine of the catalogue as FHIR Medication."""

    resourceType: Literal["Medication"]
    """Always Medication."""


class FhirCapabilityStatement(FhirResource):
    """What the FHIR view supports: resources, interactions and search parameters."""

    resourceType: Literal["CapabilityStatement"]
    """Always CapabilityStatement."""
    status: str
    """Always active."""
    fhirVersion: str
    """4.0.1 (R4)."""
    format: list[str]
    """The formats served: FHIR JSON only."""


class FhirBundleLink(_Open):
    """A link of a searchset Bundle."""

    relation: str
    """self or next."""
    url: str
    """The search URL."""


class FhirBundleEntry(_Open):
    """One resource found by a search."""

    fullUrl: str | None = None
    """Absolute URL of the resource."""
    resource: FhirResource | None = None
    """The resource."""


class FhirBundle(FhirResource):
    """A searchset: `link` has `self` (the search as applied: parameters this server left out
    are not in it) and, when more follow, `next` (keyset paging). `total` with `_summary=count`
    (then no `entry`) and when the first page is the whole result."""

    resourceType: Literal["Bundle"]
    """Always Bundle."""
    type: Literal["searchset"]
    """Always searchset."""
    total: int | None = None
    """Number of matches, when known."""
    link: list[FhirBundleLink] = Field(default_factory=list)
    """self and, when more follow, next."""
    entry: list[FhirBundleEntry] = Field(default_factory=list)
    """The resources of this page."""


class FhirIssue(_Open):
    """One issue of an OperationOutcome."""

    severity: Literal["fatal", "error", "warning", "information"]
    """How bad."""
    code: str
    """FHIR IssueType code, e.g. not-found, invalid."""
    diagnostics: str | None = None
    """What went wrong, in words."""


class FhirOperationOutcome(_Open):
    """Every error of the FHIR view, with the HTTP status of the error."""

    resourceType: Literal["OperationOutcome"]
    """Always OperationOutcome."""
    issue: list[FhirIssue]
    """The issues (at least one)."""
