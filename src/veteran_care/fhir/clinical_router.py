"""/fhir/r4: Appointment, Encounter, Observation, Condition, MedicationDispense."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from veteran_care.db.session import WriteSession
from veteran_care.fhir import clinical_service as clinical
from veteran_care.fhir import schemas
from veteran_care.fhir import search as params
from veteran_care.fhir.responses import FhirResponse, read
from veteran_care.fhir.routing import (
    SEARCH_RESPONSES,
    Clinical,
    Dates,
    Pharmacy,
    Reference,
    Scheduling,
    bundle,
    read_responses,
    ref,
    searching,
)
from veteran_care.fhir.search import Controls

router: APIRouter = APIRouter()  # included by router.py under /fhir/r4


@router.get(
    "/Appointment/{appointment_id:uuid}",
    summary="FHIR Appointment: read one specialty examination",
    responses=read_responses(schemas.FhirAppointment),
)
async def fhir_read_appointment(
    appointment_id: uuid.UUID, actor: Scheduling, session: WriteSession
) -> FhirResponse:
    return read(await clinical.read_appointment(session, actor, appointment_id))


@router.get("/Appointment", summary="FHIR Appointment: search", responses=SEARCH_RESPONSES)
async def fhir_search_appointment(
    request: Request,
    actor: Scheduling,
    session: WriteSession,
    controls: Annotated[Controls, searching("Appointment")],
    patient: Reference = None,
    encounter: Reference = None,
) -> FhirResponse:
    found = await clinical.search_appointments(
        session,
        actor,
        controls,
        ref(patient, "Patient", "patient"),
        ref(encounter, "Encounter", "encounter"),
    )
    return bundle(request, controls, found)


@router.get(
    "/Encounter/{encounter_id:uuid}",
    summary="FHIR Encounter: read a checkup",
    responses=read_responses(schemas.FhirEncounter),
)
async def fhir_read_encounter(
    encounter_id: uuid.UUID, actor: Scheduling, session: WriteSession
) -> FhirResponse:
    return read(await clinical.read_encounter(session, actor, encounter_id))


@router.get("/Encounter", summary="FHIR Encounter: search checkups", responses=SEARCH_RESPONSES)
async def fhir_search_encounter(
    request: Request,
    actor: Scheduling,
    session: WriteSession,
    controls: Annotated[Controls, searching("Encounter")],
    patient: Reference = None,
    date: Dates = None,
    status: Annotated[
        str | None, Query(pattern="^(planned|arrived|finished|cancelled|entered-in-error)$")
    ] = None,
) -> FhirResponse:
    found = await clinical.search_encounters(
        session,
        actor,
        controls,
        patient_id=ref(patient, "Patient", "patient"),
        status=status,
        dates=params.day_range(date or []),
    )
    return bundle(request, controls, found)


@router.get(
    "/Observation/{observation_id}",
    summary="FHIR Observation: read a vital sign, finding or health classification",
    description="Ids are `<result id>-<kind>` (or `<checkup id>-health-class`).",
    responses=read_responses(schemas.FhirObservation),
)
async def fhir_read_observation(
    observation_id: Annotated[str, Path(max_length=100)], actor: Clinical, session: WriteSession
) -> FhirResponse:
    return read(await clinical.read_observation(session, actor, observation_id))


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
    controls: Annotated[Controls, searching("Observation")],
    patient: Reference = None,
    encounter: Reference = None,
) -> FhirResponse:
    found = await clinical.search_observations(
        session,
        actor,
        controls,
        ref(patient, "Patient", "patient"),
        ref(encounter, "Encounter", "encounter"),
    )
    return bundle(request, controls, found)


@router.get(
    "/Condition/{condition_id:uuid}",
    summary="FHIR Condition: read an ICD-10 diagnosis",
    responses=read_responses(schemas.FhirCondition),
)
async def fhir_read_condition(
    condition_id: uuid.UUID, actor: Clinical, session: WriteSession
) -> FhirResponse:
    return read(await clinical.read_condition(session, actor, condition_id))


@router.get("/Condition", summary="FHIR Condition: search diagnoses", responses=SEARCH_RESPONSES)
async def fhir_search_condition(
    request: Request,
    actor: Clinical,
    session: WriteSession,
    controls: Annotated[Controls, searching("Condition")],
    patient: Reference = None,
    encounter: Reference = None,
) -> FhirResponse:
    found = await clinical.search_conditions(
        session,
        actor,
        controls,
        ref(patient, "Patient", "patient"),
        ref(encounter, "Encounter", "encounter"),
    )
    return bundle(request, controls, found)


@router.get(
    "/MedicationDispense/{dispense_id:uuid}",
    summary="FHIR MedicationDispense: read",
    responses=read_responses(schemas.FhirMedicationDispense),
)
async def fhir_read_medication_dispense(
    dispense_id: uuid.UUID, actor: Pharmacy, session: WriteSession
) -> FhirResponse:
    return read(await clinical.read_dispense(session, actor, dispense_id))


@router.get(
    "/MedicationDispense", summary="FHIR MedicationDispense: search", responses=SEARCH_RESPONSES
)
async def fhir_search_medication_dispense(
    request: Request,
    actor: Pharmacy,
    session: WriteSession,
    controls: Annotated[Controls, searching("MedicationDispense")],
    patient: Reference = None,
) -> FhirResponse:
    found = await clinical.search_dispenses(
        session, actor, controls, ref(patient, "Patient", "patient")
    )
    return bundle(request, controls, found)
