"""/fhir/r4: read and search, `application/fhir+json`; errors are OperationOutcome resources.

Who may read what maps onto the permissions of /api/v1 (docs/decisions/0008): Patient,
Coverage and $everything `registry:read`; Organization, Location, HealthcareService
`facilities:read`; Appointment, Encounter `scheduling:read` (clinical_router.py);
Observation, Condition `clinical:read`; MedicationDispense `pharmacy:read`; Medication
`reference:read`.
"""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.fhir import everything as record
from veteran_care.fhir import schemas
from veteran_care.fhir import search as params
from veteran_care.fhir import service as registry
from veteran_care.fhir.capability import (
    FACILITY_IDENTIFIER,
    PATIENT_IDENTIFIER,
    capability_statement,
)
from veteran_care.fhir.clinical_router import router as clinical_router
from veteran_care.fhir.codes import FHIR_PREFIX
from veteran_care.fhir.controls import negotiate, operation_controls
from veteran_care.fhir.registry_mapping import location, organization
from veteran_care.fhir.responses import FhirResponse, read, searchset
from veteran_care.fhir.routing import (
    ERRORS,
    READ_ERRORS,
    SEARCH_RESPONSES,
    Catalogue,
    Dates,
    Facilities,
    Reference,
    Registry,
    Token,
    bundle,
    read_responses,
    ref,
    searching,
)
from veteran_care.fhir.search import Controls
from veteran_care.kit.text import Line100

router = APIRouter(
    prefix=FHIR_PREFIX,
    tags=["fhir"],
    default_response_class=FhirResponse,
    dependencies=[Depends(negotiate)],  # JSON only: 406 for `_format=xml` and the like
)


@router.get(
    "/metadata",
    summary="FHIR CapabilityStatement: what this server supports",
    responses={
        200: {"model": schemas.FhirCapabilityStatement, "description": "The statement."},
        406: ERRORS[406],
        "4XX": ERRORS["4XX"],
    },
)
async def fhir_capabilities() -> FhirResponse:
    return FhirResponse(capability_statement(date.today().isoformat()))


@router.get(
    "/Patient/{beneficiary_id:uuid}",
    summary="FHIR Patient: read",
    responses=read_responses(schemas.FhirPatient),
)
async def fhir_read_patient(
    beneficiary_id: uuid.UUID, actor: Registry, session: WriteSession
) -> FhirResponse:
    return read(await registry.read_patient(session, actor, beneficiary_id))


@router.get(
    "/Patient",
    summary="FHIR Patient: search by identifier, name or birth date",
    description=(
        f"`identifier`: {PATIENT_IDENTIFIER} `name`: accent- and case-insensitive, every word "
        "starts a word of the name. `birthdate`: a year with any prefix, or a full date (eq)."
    ),
    responses=SEARCH_RESPONSES,
)
async def fhir_search_patient(
    request: Request,
    actor: Registry,
    session: WriteSession,
    controls: Annotated[Controls, searching("Patient")],
    identifier: Token = None,
    name: Annotated[Line100 | None, Query()] = None,
    birthdate: Dates = None,
) -> FhirResponse:
    found = await registry.search_patients(
        session,
        actor,
        controls,
        identifier=params.token(identifier),
        name=name,
        birth=params.birth_range(birthdate or []),
    )
    return bundle(request, controls, found)


@router.get(
    "/Patient/{beneficiary_id:uuid}/$everything",
    summary="FHIR Patient/$everything: the whole record the caller may see, as one Bundle",
    description=(
        "Patient and Coverage; Encounter and Appointment with `scheduling:read`; Observation "
        "and Condition with `clinical:read`; MedicationDispense and Medication with "
        "`pharmacy:read`; the Organizations and Locations referred to. Facility scope applies."
    ),
    responses={**SEARCH_RESPONSES, 404: READ_ERRORS[404]},
    dependencies=[Depends(operation_controls)],
)
async def fhir_patient_everything(
    request: Request, beneficiary_id: uuid.UUID, actor: Registry, session: WriteSession
) -> FhirResponse:
    found = await record.everything(session, actor, beneficiary_id)
    return FhirResponse(searchset(request, found, None, total=len(found)))


@router.get(
    "/Coverage/{coverage_id:uuid}",
    summary="FHIR Coverage: read a card",
    responses=read_responses(schemas.FhirCoverage),
)
async def fhir_read_coverage(
    coverage_id: uuid.UUID, actor: Registry, session: WriteSession
) -> FhirResponse:
    return read(await registry.read_coverage(session, actor, coverage_id))


@router.get("/Coverage", summary="FHIR Coverage: search cards", responses=SEARCH_RESPONSES)
async def fhir_search_coverage(
    request: Request,
    actor: Registry,
    session: WriteSession,
    controls: Annotated[Controls, searching("Coverage")],
    patient: Reference = None,
) -> FhirResponse:
    patient_id = ref(patient, "Patient", "patient")
    return bundle(
        request, controls, await registry.search_coverage(session, actor, controls, patient_id)
    )


@router.get(
    "/Organization/{organization_id:uuid}",
    summary="FHIR Organization: read a facility",
    responses=read_responses(schemas.FhirOrganization),
)
async def fhir_read_organization(
    organization_id: uuid.UUID, actor: Facilities, session: ReadSession
) -> FhirResponse:
    return read(organization(await registry.read_facility(session, actor, organization_id)))


@router.get(
    "/Organization",
    summary="FHIR Organization: search facilities",
    description=f"`identifier`: {FACILITY_IDENTIFIER}",
    responses=SEARCH_RESPONSES,
)
async def fhir_search_organization(
    request: Request,
    actor: Facilities,
    session: ReadSession,
    controls: Annotated[Controls, searching("Organization")],
    identifier: Token = None,
    active: bool | None = None,
) -> FhirResponse:
    found = await registry.search_facilities(
        session,
        actor,
        controls,
        "Organization",
        identifier=params.token(identifier),
        active=active,
    )
    return bundle(request, controls, found)


@router.get(
    "/Location/{location_id:uuid}",
    summary="FHIR Location: read a facility",
    responses=read_responses(schemas.FhirLocation),
)
async def fhir_read_location(
    location_id: uuid.UUID, actor: Facilities, session: ReadSession
) -> FhirResponse:
    return read(location(await registry.read_facility(session, actor, location_id)))


@router.get(
    "/Location",
    summary="FHIR Location: search facilities",
    description=f"`identifier`: {FACILITY_IDENTIFIER}",
    responses=SEARCH_RESPONSES,
)
async def fhir_search_location(
    request: Request,
    actor: Facilities,
    session: ReadSession,
    controls: Annotated[Controls, searching("Location")],
    identifier: Token = None,
    status: Annotated[str | None, Query(pattern="^(active|inactive)$")] = None,
) -> FhirResponse:
    found = await registry.search_facilities(
        session,
        actor,
        controls,
        "Location",
        identifier=params.token(identifier),
        active=None if status is None else status == "active",
    )
    return bundle(request, controls, found)


@router.get(
    "/HealthcareService/{service_id:uuid}",
    summary="FHIR HealthcareService: read a facility's service",
    responses=read_responses(schemas.FhirHealthcareService),
)
async def fhir_read_healthcare_service(
    service_id: uuid.UUID, actor: Facilities, session: ReadSession
) -> FhirResponse:
    return read(await registry.read_service(session, actor, service_id))


@router.get(
    "/HealthcareService", summary="FHIR HealthcareService: search", responses=SEARCH_RESPONSES
)
async def fhir_search_healthcare_service(
    request: Request,
    actor: Facilities,
    session: ReadSession,
    controls: Annotated[Controls, searching("HealthcareService")],
    organization: Reference = None,
) -> FhirResponse:
    facility_id = ref(organization, "Organization", "organization")
    found = await registry.search_services(session, actor, controls, facility_id)
    return bundle(request, controls, found)


@router.get(
    "/Medication/{medication_id:uuid}",
    summary="FHIR Medication: read a catalogue entry",
    responses=read_responses(schemas.FhirMedication),
)
async def fhir_read_medication(
    medication_id: uuid.UUID, actor: Catalogue, session: ReadSession
) -> FhirResponse:
    return read(await registry.read_medication(session, medication_id))


@router.get(
    "/Medication", summary="FHIR Medication: search the catalogue", responses=SEARCH_RESPONSES
)
async def fhir_search_medication(
    request: Request,
    actor: Catalogue,
    session: ReadSession,
    controls: Annotated[Controls, searching("Medication")],
    code: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=r"^(http://www\.whocc\.no/atc\|([A-Z][A-Z0-9]{0,6})?|[A-Z][A-Z0-9]{0,6})$",
            description="An ATC code or group (prefix): `N02BE01`, `J01`.",
        ),
    ] = None,
) -> FhirResponse:
    found = await registry.search_medications(session, controls, params.token(code))
    return bundle(request, controls, found)


router.include_router(clinical_router)
