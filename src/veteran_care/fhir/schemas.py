"""The shapes of the FHIR view in the OpenAPI document (validated in tests with `fhir.resources`;
here they only tell clients and fuzzers what comes back). Open models: FHIR resources carry more
elements than are listed."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FhirMeta(_Open):
    versionId: str | None = None
    lastUpdated: str | None = None


class FhirResource(_Open):
    resourceType: str
    id: str | None = None
    meta: FhirMeta | None = None


class FhirPatient(FhirResource):
    resourceType: Literal["Patient"]
    identifier: list[dict[str, Any]] = Field(default_factory=list)
    name: list[dict[str, Any]] = Field(default_factory=list)
    gender: Literal["male", "female", "other", "unknown"] | None = None
    birthDate: str | None = None


class FhirCoverage(FhirResource):
    resourceType: Literal["Coverage"]
    status: Literal["active", "cancelled", "draft", "entered-in-error"]
    beneficiary: dict[str, Any]


class FhirOrganization(FhirResource):
    resourceType: Literal["Organization"]
    name: str | None = None


class FhirLocation(FhirResource):
    resourceType: Literal["Location"]
    name: str | None = None


class FhirHealthcareService(FhirResource):
    resourceType: Literal["HealthcareService"]


class FhirAppointment(FhirResource):
    resourceType: Literal["Appointment"]
    status: str


class FhirEncounter(FhirResource):
    resourceType: Literal["Encounter"]
    status: str


class FhirObservation(FhirResource):
    resourceType: Literal["Observation"]
    status: str
    code: dict[str, Any]


class FhirCondition(FhirResource):
    resourceType: Literal["Condition"]
    code: dict[str, Any] | None = None


class FhirMedicationDispense(FhirResource):
    resourceType: Literal["MedicationDispense"]
    status: str


class FhirMedication(FhirResource):
    resourceType: Literal["Medication"]


class FhirCapabilityStatement(FhirResource):
    resourceType: Literal["CapabilityStatement"]
    status: str
    fhirVersion: str
    format: list[str]


class FhirBundleLink(_Open):
    relation: str
    url: str


class FhirBundleEntry(_Open):
    fullUrl: str | None = None
    resource: FhirResource | None = None


class FhirBundle(FhirResource):
    """A searchset: `link` has `self` (the search as applied: parameters this server left out
    are not in it) and, when more follow, `next` (keyset paging). `total` with `_summary=count`
    (then no `entry`) and when the first page is the whole result."""

    resourceType: Literal["Bundle"]
    type: Literal["searchset"]
    total: int | None = None
    link: list[FhirBundleLink] = Field(default_factory=list)
    entry: list[FhirBundleEntry] = Field(default_factory=list)


class FhirIssue(_Open):
    severity: Literal["fatal", "error", "warning", "information"]
    code: str
    diagnostics: str | None = None


class FhirOperationOutcome(_Open):
    """Every error of the FHIR view, with the HTTP status of the error."""

    resourceType: Literal["OperationOutcome"]
    issue: list[FhirIssue]
