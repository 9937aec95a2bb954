"""/fhir/r4: read and search, `application/fhir+json`; errors are OperationOutcome resources.

Who may read what maps onto the permissions of /api/v1 (docs/decisions/0008): Patient,
Coverage and $everything `registry:read`; Organization, Location, HealthcareService
`facilities:read`; Appointment, Encounter `scheduling:read`; Observation, Condition
`clinical:read`; MedicationDispense `pharmacy:read`; Medication `reference:read`.
"""

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import StringConstraints

from veteran_care.db import ReadSession, WriteSession
from veteran_care.fhir import clinical_service as clinical
from veteran_care.fhir import schemas
from veteran_care.fhir import search as params
from veteran_care.fhir import service as registry
from veteran_care.fhir.capability import capability_statement
from veteran_care.fhir.codes import FHIR_PREFIX, PROVIDER_CODE_SYSTEM
from veteran_care.fhir.registry_mapping import location, organization
from veteran_care.fhir.responses import FhirResponse, searchset
from veteran_care.identity.dependencies import allow
from veteran_care.identity.permissions import Permission
from veteran_care.identity.principal import Actor
from veteran_care.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from veteran_care.kit.text import Line100

router = APIRouter(prefix=FHIR_PREFIX, tags=["fhir"], default_response_class=FhirResponse)

Registry = Annotated[Actor, allow(Permission.registry_read)]
Facilities = Annotated[Actor, allow(Permission.facilities_read)]
Scheduling = Annotated[Actor, allow(Permission.scheduling_read)]
Clinical = Annotated[Actor, allow(Permission.clinical_read)]
Pharmacy = Annotated[Actor, allow(Permission.pharmacy_read)]
Catalogue = Annotated[Actor, allow(Permission.reference_read)]

Count = Annotated[
    int,
    Query(alias="_count", ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT})."),
]
Cursor = Annotated[
    str | None,
    Query(alias="_cursor", max_length=512, description="From the Bundle's `next` link."),
]
Reference = Annotated[
    str | None,
    Query(
        max_length=120,
        pattern=params.REFERENCE_PATTERN,
        description="`<Type>/<id>` or `<id>`.",
    ),
]
Dates = Annotated[
    list[Annotated[str, StringConstraints(max_length=12, pattern=params.DATE_PATTERN)]] | None,
    Query(max_length=2, description="`[eq|ge|gt|le|lt]YYYY[-MM-DD]`, up to twice (a range)."),
]


def _outcome(description: str) -> dict[str, Any]:
    return {"model": schemas.FhirOperationOutcome, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _outcome("Search parameters that cannot be processed."),
    401: _outcome("No valid bearer token."),
    403: _outcome("The caller's roles do not allow this."),
    503: _outcome("Database unavailable; retry after `Retry-After` seconds."),
    # Under /fhir a validation error is a 400, never a 422: this also keeps FastAPI from
    # documenting its own 422.
    "4XX": _outcome("Any other client error (e.g. 405)."),
}
READ_ERRORS = {**ERRORS, 404: _outcome("No such resource, or not in the caller's scope.")}


def _read(model: type[schemas.FhirResource]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": "The resource."}, **READ_ERRORS}


SEARCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": schemas.FhirBundle, "description": "A searchset Bundle."},
    **ERRORS,
}


def _bundle(request: Request, page: tuple[list[dict[str, Any]], str | None]) -> FhirResponse:
    return FhirResponse(searchset(request, page[0], page[1]))


def _ref(value: str | None, resource_type: str, name: str) -> uuid.UUID | None:
    return None if value is None else params.reference(value, resource_type, name)


@router.get(
    "/metadata",
    summary="FHIR CapabilityStatement: what this server supports",
    responses={200: {"model": schemas.FhirCapabilityStatement, "description": "The statement."}},
)
async def fhir_capabilities() -> FhirResponse:
    return FhirResponse(capability_statement(date.today().isoformat()))


@router.get(
    "/Patient/{beneficiary_id:uuid}",
    summary="FHIR Patient: read",
    responses=_read(schemas.FhirPatient),
)
async def fhir_read_patient(
    beneficiary_id: uuid.UUID, actor: Registry, session: WriteSession
) -> FhirResponse:
    return FhirResponse(await registry.read_patient(session, actor, beneficiary_id))


@router.get(
    "/Patient",
    summary="FHIR Patient: search by identifier, name or birth date",
    description=(
        "`identifier`: `http://fhir.ehealth.gov.vn/core/sid/national_id|<CCCD>`, "
        "`http://fhir.ehealth.gov.vn/core/sid/insurance_number|<BHXH or card number>`, or the "
        "value alone; exact, province-wide. `name`: accent- and case-insensitive, every word "
        "starts a word of the name. `birthdate`: a year with any prefix, or a full date (eq)."
    ),
    responses=SEARCH_RESPONSES,
)
async def fhir_search_patient(
    request: Request,
    actor: Registry,
    session: WriteSession,
    identifier: Annotated[str | None, Query(max_length=241, pattern=params.TOKEN_PATTERN)] = None,
    name: Annotated[Line100 | None, Query()] = None,
    birthdate: Dates = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    page = await registry.search_patients(
        session,
        actor,
        identifier=params.identifier(identifier) if identifier is not None else None,
        identifier_given=identifier is not None,
        name=name,
        birth=params.birth_range(birthdate or []),
        cursor=cursor,
        limit=count,
    )
    return _bundle(request, page)


@router.get(
    "/Patient/{beneficiary_id:uuid}/$everything",
    summary="FHIR Patient/$everything: the whole record the caller may see, as one Bundle",
    description=(
        "Patient and Coverage; Encounter and Appointment with `scheduling:read`; Observation "
        "and Condition with `clinical:read`; MedicationDispense and Medication with "
        "`pharmacy:read`; the Organizations and Locations referred to. Facility scope applies."
    ),
    responses={**SEARCH_RESPONSES, 404: READ_ERRORS[404]},
)
async def fhir_patient_everything(
    request: Request, beneficiary_id: uuid.UUID, actor: Registry, session: WriteSession
) -> FhirResponse:
    return FhirResponse(
        searchset(request, await clinical.everything(session, actor, beneficiary_id), None)
    )


@router.get(
    "/Coverage/{coverage_id:uuid}",
    summary="FHIR Coverage: read a card",
    responses=_read(schemas.FhirCoverage),
)
async def fhir_read_coverage(
    coverage_id: uuid.UUID, actor: Registry, session: WriteSession
) -> FhirResponse:
    return FhirResponse(await registry.read_coverage(session, actor, coverage_id))


@router.get("/Coverage", summary="FHIR Coverage: a patient's cards", responses=SEARCH_RESPONSES)
async def fhir_search_coverage(
    request: Request,
    actor: Registry,
    session: WriteSession,
    patient: Annotated[str, Query(max_length=120, pattern=params.REFERENCE_PATTERN)],
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    patient_id = params.reference(patient, "Patient", "patient")
    return _bundle(
        request, await registry.search_coverage(session, actor, patient_id, cursor, count)
    )


FacilityCode = Annotated[str | None, Query(max_length=241, pattern=params.TOKEN_PATTERN)]


def _code(identifier: str | None) -> str | None:
    """The facility code of `identifier=[system|]code`; under another system, none ("")."""
    if identifier is None:
        return None
    system, bar, code = identifier.rpartition("|")
    return code if not bar or system == PROVIDER_CODE_SYSTEM else ""


@router.get(
    "/Organization/{organization_id:uuid}",
    summary="FHIR Organization: read a facility",
    responses=_read(schemas.FhirOrganization),
)
async def fhir_read_organization(
    organization_id: uuid.UUID, actor: Facilities, session: ReadSession
) -> FhirResponse:
    return FhirResponse(organization(await registry.read_facility(session, actor, organization_id)))


@router.get(
    "/Organization", summary="FHIR Organization: search facilities", responses=SEARCH_RESPONSES
)
async def fhir_search_organization(
    request: Request,
    actor: Facilities,
    session: ReadSession,
    identifier: FacilityCode = None,
    active: bool | None = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    rows, next_cursor = await registry.search_facilities(
        session, actor, code=_code(identifier), active=active, cursor=cursor, limit=count
    )
    return _bundle(request, ([organization(r) for r in rows], next_cursor))


@router.get(
    "/Location/{location_id:uuid}",
    summary="FHIR Location: read a facility",
    responses=_read(schemas.FhirLocation),
)
async def fhir_read_location(
    location_id: uuid.UUID, actor: Facilities, session: ReadSession
) -> FhirResponse:
    return FhirResponse(location(await registry.read_facility(session, actor, location_id)))


@router.get("/Location", summary="FHIR Location: search facilities", responses=SEARCH_RESPONSES)
async def fhir_search_location(
    request: Request,
    actor: Facilities,
    session: ReadSession,
    identifier: FacilityCode = None,
    status: Annotated[str | None, Query(pattern="^(active|inactive)$")] = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    active = None if status is None else status == "active"
    rows, next_cursor = await registry.search_facilities(
        session, actor, code=_code(identifier), active=active, cursor=cursor, limit=count
    )
    return _bundle(request, ([location(r) for r in rows], next_cursor))


@router.get(
    "/HealthcareService/{service_id:uuid}",
    summary="FHIR HealthcareService: read a facility's service",
    responses=_read(schemas.FhirHealthcareService),
)
async def fhir_read_healthcare_service(
    service_id: uuid.UUID, actor: Facilities, session: ReadSession
) -> FhirResponse:
    return FhirResponse(await registry.read_service(session, actor, service_id))


@router.get(
    "/HealthcareService", summary="FHIR HealthcareService: search", responses=SEARCH_RESPONSES
)
async def fhir_search_healthcare_service(
    request: Request,
    actor: Facilities,
    session: ReadSession,
    organization: Reference = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    facility_id = _ref(organization, "Organization", "organization")
    return _bundle(
        request, await registry.search_services(session, actor, facility_id, cursor, count)
    )


@router.get(
    "/Medication/{medication_id:uuid}",
    summary="FHIR Medication: read a catalogue entry",
    responses=_read(schemas.FhirMedication),
)
async def fhir_read_medication(
    medication_id: uuid.UUID, actor: Catalogue, session: ReadSession
) -> FhirResponse:
    return FhirResponse(await registry.read_medication(session, medication_id))


@router.get(
    "/Medication", summary="FHIR Medication: search the catalogue", responses=SEARCH_RESPONSES
)
async def fhir_search_medication(
    request: Request,
    actor: Catalogue,
    session: ReadSession,
    code: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=r"^(http://www\.whocc\.no/atc\|)?[A-Z][A-Z0-9]{0,6}$",
            description="An ATC code or group (prefix): `N02BE01`, `J01`.",
        ),
    ] = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    atc = None if code is None else code.rpartition("|")[2]
    return _bundle(request, await registry.search_medications(session, atc, cursor, count))


@router.get(
    "/Appointment/{appointment_id:uuid}",
    summary="FHIR Appointment: read one specialty examination",
    responses=_read(schemas.FhirAppointment),
)
async def fhir_read_appointment(
    appointment_id: uuid.UUID, actor: Scheduling, session: WriteSession
) -> FhirResponse:
    return FhirResponse(await clinical.read_appointment(session, actor, appointment_id))


@router.get("/Appointment", summary="FHIR Appointment: search", responses=SEARCH_RESPONSES)
async def fhir_search_appointment(
    request: Request,
    actor: Scheduling,
    session: WriteSession,
    patient: Reference = None,
    encounter: Reference = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    page = await clinical.search_appointments(
        session,
        actor,
        _ref(patient, "Patient", "patient"),
        _ref(encounter, "Encounter", "encounter"),
        cursor,
        count,
    )
    return _bundle(request, page)


@router.get(
    "/Encounter/{encounter_id:uuid}",
    summary="FHIR Encounter: read a checkup",
    responses=_read(schemas.FhirEncounter),
)
async def fhir_read_encounter(
    encounter_id: uuid.UUID, actor: Scheduling, session: WriteSession
) -> FhirResponse:
    return FhirResponse(await clinical.read_encounter(session, actor, encounter_id))


@router.get("/Encounter", summary="FHIR Encounter: search checkups", responses=SEARCH_RESPONSES)
async def fhir_search_encounter(
    request: Request,
    actor: Scheduling,
    session: WriteSession,
    patient: Reference = None,
    date: Dates = None,
    status: Annotated[
        str | None, Query(pattern="^(planned|arrived|finished|cancelled|entered-in-error)$")
    ] = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    page = await clinical.search_encounters(
        session,
        actor,
        patient_id=_ref(patient, "Patient", "patient"),
        status=status,
        dates=params.day_range(date or []),
        cursor=cursor,
        limit=count,
    )
    return _bundle(request, page)


@router.get(
    "/Observation/{observation_id}",
    summary="FHIR Observation: read a vital sign, finding or health classification",
    description="Ids are `<result id>-<kind>` (or `<checkup id>-health-class`).",
    responses=_read(schemas.FhirObservation),
)
async def fhir_read_observation(
    observation_id: Annotated[str, Path(max_length=100)], actor: Clinical, session: WriteSession
) -> FhirResponse:
    return FhirResponse(await clinical.read_observation(session, actor, observation_id))


@router.get(
    "/Observation",
    summary="FHIR Observation: search",
    description=(
        "`_count` pages examination results (each gives up to ten Observations); the health "
        "classifications of the patient's or encounter's checkups come on the first page."
    ),
    responses=SEARCH_RESPONSES,
)
async def fhir_search_observation(
    request: Request,
    actor: Clinical,
    session: WriteSession,
    patient: Reference = None,
    encounter: Reference = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    page = await clinical.search_observations(
        session,
        actor,
        _ref(patient, "Patient", "patient"),
        _ref(encounter, "Encounter", "encounter"),
        cursor,
        count,
    )
    return _bundle(request, page)


@router.get(
    "/Condition/{condition_id:uuid}",
    summary="FHIR Condition: read an ICD-10 diagnosis",
    responses=_read(schemas.FhirCondition),
)
async def fhir_read_condition(
    condition_id: uuid.UUID, actor: Clinical, session: WriteSession
) -> FhirResponse:
    return FhirResponse(await clinical.read_condition(session, actor, condition_id))


@router.get("/Condition", summary="FHIR Condition: search diagnoses", responses=SEARCH_RESPONSES)
async def fhir_search_condition(
    request: Request,
    actor: Clinical,
    session: WriteSession,
    patient: Reference = None,
    encounter: Reference = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    page = await clinical.search_conditions(
        session,
        actor,
        _ref(patient, "Patient", "patient"),
        _ref(encounter, "Encounter", "encounter"),
        cursor,
        count,
    )
    return _bundle(request, page)


@router.get(
    "/MedicationDispense/{dispense_id:uuid}",
    summary="FHIR MedicationDispense: read",
    responses=_read(schemas.FhirMedicationDispense),
)
async def fhir_read_medication_dispense(
    dispense_id: uuid.UUID, actor: Pharmacy, session: WriteSession
) -> FhirResponse:
    return FhirResponse(await clinical.read_dispense(session, actor, dispense_id))


@router.get(
    "/MedicationDispense", summary="FHIR MedicationDispense: search", responses=SEARCH_RESPONSES
)
async def fhir_search_medication_dispense(
    request: Request,
    actor: Pharmacy,
    session: WriteSession,
    patient: Reference = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> FhirResponse:
    page = await clinical.search_dispenses(
        session, actor, _ref(patient, "Patient", "patient"), cursor, count
    )
    return _bundle(request, page)
