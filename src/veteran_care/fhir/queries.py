"""The statements of FHIR searches, one per resource type, bounded by the caller's facility scope
(people: and province scope) with the clauses the domains' own lists use; a page, a
`_summary=count` and an `_id` search run the same statement, so that what is counted is what is
listed."""

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from veteran_care.beneficiaries.repository import in_scope_clause
from veteran_care.fhir.clinical_mapping import VALUE_COLUMNS
from veteran_care.fhir.codes import (
    ATC,
    CCCD_SYSTEM,
    CMND_SYSTEM,
    FACILITY_CODE_SYSTEMS,
    INSURANCE_SYSTEMS,
    NATIONAL_ID_SYSTEMS,
)
from veteran_care.fhir.search import Controls, DateRange, Token
from veteran_care.kit.pagination import SortKey, datetime_key, fetch_page, text_key
from veteran_care.kit.text import fold, like_escape
from veteran_care.models import (
    Appointment,
    Beneficiary,
    Checkup,
    CheckupConclusion,
    Diagnosis,
    Dispense,
    ExaminationResult,
    Facility,
    FacilityService,
    InsuranceCard,
    Medicine,
    NationalIdType,
)
from veteran_care.scheduling.repository import CHECKUP_SORTS

Resource = dict[str, Any]
Scope = frozenset[uuid.UUID] | None
Ids = list[uuid.UUID] | None

_NATIONAL_ID = re.compile(r"^([0-9]{9}|[0-9]{12})$")  # CCCD, or a legacy CMND
# The national id's type under each system that names one; the old system names both.
_NATIONAL_ID_TYPES = {CCCD_SYSTEM: NationalIdType.cccd, CMND_SYSTEM: NationalIdType.cmnd}
_BHXH = re.compile(r"^[0-9]{10}$")
_CARD = re.compile(r"^[A-Za-z]{2}[0-9]{13}$")


def _updated(model: Any) -> dict[str, SortKey]:
    return {
        "_lastUpdated": datetime_key(model.updated_at),
        "-_lastUpdated": datetime_key(model.updated_at, descending=True),
    }


# `_sort` values per resource type, as the CapabilityStatement declares them: one key each.
# Observation and Condition take none: their meta.lastUpdated is their examination result's,
# and Observations are paged by results.
SORTS: dict[str, dict[str, SortKey]] = {
    "Patient": {
        "name": text_key(Beneficiary.name_search),
        "-name": text_key(Beneficiary.name_search, descending=True),
        **_updated(Beneficiary),
    },
    "Coverage": _updated(InsuranceCard),
    "Organization": _updated(Facility),
    "Location": _updated(Facility),
    "HealthcareService": _updated(FacilityService),
    "Medication": _updated(Medicine),
    "Appointment": _updated(Appointment),
    "Encounter": {"date": CHECKUP_SORTS["date"], "-date": CHECKUP_SORTS["-date"]}
    | _updated(Checkup),
    "MedicationDispense": _updated(Dispense),
}


@dataclass(frozen=True)
class Query:
    """A search's statement; `default` names its order when no `_sort` is given."""

    stmt: Select[Any]
    id_column: Any
    default: str
    sorts: Mapping[str, SortKey]
    options: tuple[Any, ...] = field(default=())


def _query(
    resource_type: str, stmt: Select[Any], model: Any, default: tuple[str, SortKey], *options: Any
) -> Query:
    sorts = {default[0]: default[1], **SORTS.get(resource_type, {})}
    return Query(stmt, model.id, default[0], sorts, options)


def _ids(stmt: Select[Any], column: Any, ids: Ids) -> Select[Any]:
    return stmt if ids is None else stmt.where(column.in_(ids))


def _scoped(stmt: Select[Any], column: Any, scope: Scope) -> Select[Any]:
    return stmt if scope is None else stmt.where(column.in_(scope))


def _equal(stmt: Select[Any], column: Any, value: object) -> Select[Any]:
    return stmt if value is None else stmt.where(column == value)


def _card_holders(number: str) -> Any:
    holders = select(InsuranceCard.beneficiary_id).where(InsuranceCard.number == number)
    return Beneficiary.id.in_(holders)


def _insurance(code: str) -> Any:
    if _BHXH.match(code):
        return or_(Beneficiary.bhxh_number == code, _card_holders(code))
    return _card_holders(code.upper()) if _CARD.match(code) else None


def _national_id(system: str, code: str) -> tuple[Any, bool]:
    """CCCD or CMND under the guide's system for it, either under the old one (0028)."""
    kind = _NATIONAL_ID_TYPES.get(system)
    typed = true() if kind is None else Beneficiary.national_id_type == kind
    if not code:
        return and_(Beneficiary.national_id.is_not(None), typed), False
    if not _NATIONAL_ID.match(code):
        return false(), True
    return and_(Beneficiary.national_id == code, typed), True


def patient_identifier(token: Token) -> tuple[Any, bool]:
    """The clause of `identifier=[system|]value`, and whether it is exact: an exact identifier
    (the card in the person's hand) finds anyone in the province, as the registry's search."""
    system, code = token.system, token.code
    clause: Any = None
    if system is None:  # the value alone, by its shape
        clause = Beneficiary.national_id == code if _NATIONAL_ID.match(code) else _insurance(code)
    elif system in NATIONAL_ID_SYSTEMS:
        return _national_id(system, code)
    elif system in INSURANCE_SYSTEMS:
        if not code:
            cards = select(InsuranceCard.beneficiary_id)
            return or_(Beneficiary.bhxh_number.is_not(None), Beneficiary.id.in_(cards)), False
        clause = _insurance(code)
    # Another system, or "|value" (no system): we issue neither.
    return (false() if clause is None else clause), True


def _name(name: str) -> Any:
    """Every word starts a word of the folded name, as the registry's search (trigram index)."""
    column = Beneficiary.name_search
    return and_(
        true(),
        *(
            or_(
                column.like(f"{like_escape(word)}%", escape="\\"),
                column.like(f"% {like_escape(word)}%", escape="\\"),
            )
            for word in fold(name).split()
        ),
    )


def patients(
    *,
    scope: Scope,
    provinces: frozenset[str] = frozenset(),
    ids: Ids,
    identifier: Token | None,
    name: str | None,
    birth: DateRange,
) -> Query:
    """People in the caller's scope (``provinces``: and those living there, decision 0054)."""
    stmt = _ids(select(Beneficiary), Beneficiary.id, ids)
    exact = False
    if identifier is not None:
        clause, exact = patient_identifier(identifier)
        stmt = stmt.where(clause)
    if name:
        stmt = stmt.where(_name(name))
    if birth.year_from is not None:
        stmt = stmt.where(Beneficiary.birth_year >= birth.year_from)
    if birth.year_to is not None:
        stmt = stmt.where(Beneficiary.birth_year <= birth.year_to)
    stmt = _equal(stmt, Beneficiary.birth_date, birth.day)
    if scope is not None and not exact:
        stmt = stmt.where(in_scope_clause(scope, provinces))
    return _query("Patient", stmt, Beneficiary, ("name", SORTS["Patient"]["name"]))


def coverages(
    *, scope: Scope, provinces: frozenset[str] = frozenset(), ids: Ids, patient_id: uuid.UUID | None
) -> Query:
    stmt = _ids(select(InsuranceCard), InsuranceCard.id, ids)
    stmt = _equal(stmt, InsuranceCard.beneficiary_id, patient_id)
    if scope is not None:  # the cards of the people the caller may see
        visible = select(Beneficiary.id).where(in_scope_clause(scope, provinces))
        stmt = stmt.where(InsuranceCard.beneficiary_id.in_(visible))
    key = datetime_key(InsuranceCard.created_at, descending=True)
    return _query("Coverage", stmt, InsuranceCard, ("-created_at", key))


def facilities(
    resource_type: str, *, scope: Scope, ids: Ids, identifier: Token | None, active: bool | None
) -> Query:
    """Organization and Location: both are facilities. `identifier`: a provider code."""
    stmt = _scoped(_ids(select(Facility), Facility.id, ids), Facility.id, scope)
    if identifier is not None:
        if identifier.system is not None and identifier.system not in FACILITY_CODE_SYSTEMS:
            stmt = stmt.where(false())
        elif identifier.code:
            stmt = stmt.where(Facility.code == identifier.code)
    stmt = _equal(stmt, Facility.active, active)
    return _query(resource_type, stmt, Facility, ("code", text_key(Facility.code)))


def services(*, scope: Scope, ids: Ids, facility_id: uuid.UUID | None) -> Query:
    stmt = _scoped(
        _ids(select(FacilityService), FacilityService.id, ids), FacilityService.facility_id, scope
    )
    stmt = _equal(stmt, FacilityService.facility_id, facility_id)
    key = datetime_key(FacilityService.created_at)
    return _query("HealthcareService", stmt, FacilityService, ("created_at", key))


def medications(*, ids: Ids, code: Token | None) -> Query:
    """The catalogue is not scoped. `code`: an ATC code or group (a prefix)."""
    stmt = _ids(select(Medicine), Medicine.id, ids)
    if code is not None:
        if code.system not in (None, ATC):
            stmt = stmt.where(false())
        elif code.code:
            stmt = stmt.where(Medicine.atc_code.startswith(code.code))
    return _query("Medication", stmt, Medicine, ("code", text_key(Medicine.code)))


def appointments(
    *, scope: Scope, ids: Ids, patient_id: uuid.UUID | None, encounter_id: uuid.UUID | None
) -> Query:
    stmt = _scoped(_ids(select(Appointment), Appointment.id, ids), Appointment.facility_id, scope)
    stmt = _equal(stmt, Appointment.beneficiary_id, patient_id)
    stmt = _equal(stmt, Appointment.checkup_id, encounter_id)
    key = datetime_key(Appointment.created_at, descending=True)
    return _query("Appointment", stmt, Appointment, ("-created_at", key))


def encounters(
    *,
    scope: Scope,
    ids: Ids,
    patient_id: uuid.UUID | None,
    status: str | None,
    dates: tuple[Any, Any],
) -> Query:
    stmt = _scoped(_ids(select(Checkup), Checkup.id, ids), Checkup.facility_id, scope)
    stmt = _equal(_equal(stmt, Checkup.beneficiary_id, patient_id), Checkup.status, status)
    if dates[0] is not None:
        stmt = stmt.where(Checkup.date >= dates[0])
    if dates[1] is not None:
        stmt = stmt.where(Checkup.date <= dates[1])
    default = ("-date", CHECKUP_SORTS["-date"])
    return _query("Encounter", stmt, Checkup, default, selectinload(Checkup.appointments))


def results(
    *, scope: Scope, ids: Ids, patient_id: uuid.UUID | None, encounter_id: uuid.UUID | None
) -> Query:
    """The examination results behind Observations (each gives up to ten)."""
    stmt = _ids(select(ExaminationResult), ExaminationResult.id, ids)
    stmt = _scoped(stmt, ExaminationResult.facility_id, scope)
    stmt = _equal(stmt, ExaminationResult.beneficiary_id, patient_id)
    stmt = _equal(stmt, ExaminationResult.checkup_id, encounter_id)
    key = datetime_key(ExaminationResult.created_at, descending=True)
    return _query("Observation", stmt, ExaminationResult, ("-created_at", key))


def classifications(
    *, scope: Scope, ids: Ids, patient_id: uuid.UUID | None, encounter_id: uuid.UUID | None
) -> Select[Any] | None:
    """The conclusions (health class Observations) of the patient's or encounter's checkups, or
    of the checkups `ids` name; None for a search that names none of them."""
    if patient_id is None and encounter_id is None and ids is None:
        return None
    checkups = _scoped(_ids(select(Checkup.id), Checkup.id, ids), Checkup.facility_id, scope)
    checkups = _equal(
        _equal(checkups, Checkup.beneficiary_id, patient_id), Checkup.id, encounter_id
    )
    return (
        select(CheckupConclusion)
        .where(CheckupConclusion.checkup_id.in_(checkups))
        .order_by(CheckupConclusion.created_at)
    )


async def count_observations(
    session: AsyncSession, query: Query, classified: Select[Any] | None
) -> int:
    """The Observations of the results, counted without loading them: one per group of columns
    set (the kinds of `clinical_mapping.observations`), plus the health classifications."""
    result = ExaminationResult
    per_row: Any = case((and_(result.findings.is_not(None), result.findings != ""), 1), else_=0)
    for columns in VALUE_COLUMNS:
        present = or_(*(getattr(result, column).is_not(None) for column in columns))
        per_row = per_row + case((present, 1), else_=0)
    total = await session.scalar(query.stmt.with_only_columns(func.coalesce(func.sum(per_row), 0)))
    if classified is not None:
        total += await session.scalar(select(func.count()).select_from(classified.subquery()))
    return int(total or 0)


def conditions(
    *, scope: Scope, ids: Ids, patient_id: uuid.UUID | None, encounter_id: uuid.UUID | None
) -> Query:
    stmt = select(Diagnosis).join(ExaminationResult, Diagnosis.result_id == ExaminationResult.id)
    stmt = _scoped(_ids(stmt, Diagnosis.id, ids), ExaminationResult.facility_id, scope)
    stmt = _equal(stmt, Diagnosis.beneficiary_id, patient_id)
    stmt = _equal(stmt, ExaminationResult.checkup_id, encounter_id)
    key = SortKey(Diagnosis.position, parse=_position)
    return _query("Condition", stmt, Diagnosis, ("position", key))


def _position(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("not a position")
    return value


def dispenses(*, scope: Scope, ids: Ids, patient_id: uuid.UUID | None) -> Query:
    stmt = _scoped(_ids(select(Dispense), Dispense.id, ids), Dispense.facility_id, scope)
    stmt = _equal(stmt, Dispense.beneficiary_id, patient_id)
    key = datetime_key(Dispense.dispensed_at, descending=True)
    return _query("MedicationDispense", stmt, Dispense, ("-dispensed_at", key))


# Running them ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A page of resources, or (`_summary=count`) only `total`. `total` is None where it is
    not computed: on a page that is not the whole result it would need a count of every
    match, on every page, which keyset paging exists to avoid; `_summary=count` asks for it."""

    resources: list[Resource]
    next_cursor: str | None
    total: int | None

    def describe(self) -> str:
        if not self.resources and self.next_cursor is None and self.total is not None:
            return f"{self.total} matches"
        return f"{len(self.resources)} resources"


async def page(
    session: AsyncSession, query: Query, controls: Controls
) -> tuple[list[Any], str | None]:
    sort = controls.sort if controls.sort is not None else query.default
    return await fetch_page(
        session,
        query.stmt.options(*query.options),
        id_column=query.id_column,
        sort=sort,
        key=query.sorts[sort],
        cursor=controls.cursor,
        limit=controls.count,
    )


async def count(session: AsyncSession, query: Query) -> int:
    total = await session.scalar(select(func.count()).select_from(query.stmt.subquery()))
    return int(total or 0)


def whole(controls: Controls, resources: Sequence[Resource], next_cursor: str | None) -> int | None:
    """Bundle.total when it costs nothing: the first page is the whole result."""
    return len(resources) if controls.cursor is None and next_cursor is None else None


async def run(
    session: AsyncSession,
    query: Query,
    controls: Controls,
    convert: Callable[[Sequence[Any]], Awaitable[list[Resource]]],
) -> Found:
    if controls.count_only:
        return Found([], None, await count(session, query))
    rows, next_cursor = await page(session, query, controls)
    resources = await convert(rows)
    return Found(resources, next_cursor, whole(controls, resources, next_cursor))
