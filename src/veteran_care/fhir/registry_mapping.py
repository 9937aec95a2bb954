"""Registry, facilities and the catalogue as FHIR resources: Patient, Coverage, Organization,
Location, HealthcareService, Medication. Pure functions of rows (no queries)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from veteran_care.fhir import codes as c
from veteran_care.kit.text import mask
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    Facility,
    FacilityService,
    InsuranceCard,
    Medicine,
    NationalIdType,
)

_REDACTED = {"system": c.SECURITY_VALUE, "code": "REDACTED", "display": "redacted"}
PAYOR = "Bảo hiểm xã hội Việt Nam (Vietnam Social Security)"
# A session is a part of a day; FHIR wants clock times: these are the opening hours assumed.
PART_OF_DAY_HOURS = {"morning": ("07:00:00", "11:30:00"), "afternoon": ("13:30:00", "17:00:00")}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def ref(resource_type: str, resource_id: object, display: str | None = None) -> dict[str, Any]:
    reference: dict[str, Any] = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        reference["display"] = display
    return reference


def meta(version: int, updated_at: datetime, *, redacted: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {"versionId": str(version), "lastUpdated": updated_at.isoformat()}
    if redacted:
        result["security"] = [_REDACTED]
    return result


def _identifier(system: str, value: str, shown: bool) -> dict[str, Any]:
    return {"use": "official", "system": system, "value": value if shown else mask(value)}


def _name(full_name: str) -> dict[str, Any]:
    # Vietnamese order: family name first ("Nguyễn Văn An": family Nguyễn, given Văn An).
    family, _, given = full_name.partition(" ")
    name: dict[str, Any] = {"use": "official", "text": full_name, "family": family}
    if given:
        name["given"] = [given]
    return name


def _category(
    membership: BeneficiaryCategoryMembership, names: Mapping[str, str]
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {
            "url": "category",
            "valueCoding": c.coding(
                c.CATEGORY_SYSTEM, membership.category_code, names.get(membership.category_code)
            ),
        }
    ]
    if membership.disability_rate is not None:
        parts.append(
            {
                "url": "disabilityRate",
                "valueQuantity": {
                    "value": membership.disability_rate,
                    "unit": "%",
                    "system": c.UCUM,
                    "code": "%",
                },
            }
        )
    if membership.recognition_date is not None:
        parts.append(
            {"url": "recognitionDate", "valueDate": membership.recognition_date.isoformat()}
        )
    return {"url": c.CATEGORY_URL, "extension": parts}


def _commune(code: str) -> dict[str, Any]:
    return {
        "url": f"{c.CANONICAL}/StructureDefinition/commune",
        "valueCoding": {"system": c.COMMUNE_SYSTEM, "code": code},
    }


def _address(line: str | None, commune_code: str | None, district: str | None) -> dict[str, Any]:
    address: dict[str, Any] = {"country": "VN"}
    if commune_code:
        address["extension"] = [_commune(commune_code)]
    if line:
        address["line"] = [line]
        address["text"] = line
    if district:
        address["district"] = district
    return address


def patient(
    person: Beneficiary,
    categories: Sequence[BeneficiaryCategoryMembership],
    *,
    shown: bool,
    ethnic_groups: Mapping[str, str],
    category_names: Mapping[str, str],
) -> dict[str, Any]:
    """`shown`: the caller sees identifiers in full (otherwise masked, and labelled so)."""
    extensions = [
        {
            "url": c.ETHNICITY_URL,
            "valueCoding": c.coding(
                c.ETHNICITY_SYSTEM, person.ethnicity_code, ethnic_groups.get(person.ethnicity_code)
            ),
        },
        *(_category(m, category_names) for m in categories),
    ]
    identifiers = []
    if person.national_id:
        cmnd = person.national_id_type == NationalIdType.cmnd
        system = c.CMND_SYSTEM if cmnd else c.CCCD_SYSTEM
        identifiers.append(_identifier(system, person.national_id, shown))
    if person.bhxh_number:
        identifiers.append(_identifier(c.BHYT_SYSTEM, person.bhxh_number, shown))
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(person.id),
        "meta": meta(person.version, person.updated_at, redacted=not shown and bool(identifiers)),
        "extension": extensions,
        "identifier": identifiers,
        "active": person.status != BeneficiaryStatus.moved_away,
        "name": [_name(person.full_name)],
        "gender": person.sex.value,
        "birthDate": (
            person.birth_date.isoformat() if person.birth_date else f"{person.birth_year:04d}"
        ),
    }
    if not identifiers:
        del resource["identifier"]
    if person.date_of_death is not None:
        resource["deceasedDateTime"] = person.date_of_death.isoformat()
    if person.phone:
        phone = person.phone if shown else mask(person.phone)
        resource["telecom"] = [{"system": "phone", "value": phone, "use": "mobile"}]
    if person.address_line or person.commune_code or person.legacy_district:
        resource["address"] = [
            _address(person.address_line, person.commune_code, person.legacy_district)
        ]
    if person.registered_facility_id is not None:
        resource["managingOrganization"] = ref("Organization", person.registered_facility_id)
    return resource


def coverage(card: InsuranceCard, *, shown: bool) -> dict[str, Any]:
    classes = []
    if card.object_code:
        classes.append(
            {
                "type": c.concept(c.COVERAGE_CLASS, "group", "Group"),
                "value": card.object_code,
            }
        )
    if card.benefit_level is not None:
        classes.append(
            {"type": c.concept(c.COVERAGE_CLASS, "plan", "Plan"), "value": str(card.benefit_level)}
        )
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": str(card.id),
        "meta": meta(card.version, card.updated_at, redacted=not shown),
        "extension": [
            {
                "url": c.REGISTRATION_FACILITY_URL,
                "valueIdentifier": {
                    "system": c.FACILITY_CODE_SYSTEM,
                    "value": card.registration_facility_code,
                },
            }
        ],
        "identifier": [_identifier(c.BHYT_SYSTEM, card.number, shown)],
        "status": card.status.value,
        "type": c.concept(c.COVERAGE_TYPE, "PUBLICPOL", "public healthcare"),
        "subscriberId": card.bhxh_number if shown else mask(card.bhxh_number),
        "beneficiary": ref("Patient", card.beneficiary_id),
        "relationship": c.concept(
            "http://terminology.hl7.org/CodeSystem/subscriber-relationship", "self", "Self"
        ),
        "period": {"start": card.valid_from.isoformat(), "end": card.valid_to.isoformat()},
        "payor": [{"display": PAYOR}],
    }
    if classes:
        resource["class"] = classes
    return resource


def _facility_identifier(facility: Facility) -> list[dict[str, Any]]:
    return [{"use": "official", "system": c.FACILITY_CODE_SYSTEM, "value": facility.code}]


def _facility_address(facility: Facility) -> list[dict[str, Any]]:
    if not (facility.address or facility.commune_code):
        return []
    return [_address(facility.address, facility.commune_code, None)]


def organization(facility: Facility) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(facility.id),
        "meta": meta(facility.version, facility.updated_at),
        "identifier": _facility_identifier(facility),
        "active": facility.active,
        "type": [
            c.concept(c.ORGANIZATION_TYPE, "prov", "Healthcare Provider"),
            c.concept(c.FACILITY_LEVEL_SYSTEM, facility.level.value),
        ],
        "name": facility.name,
    }
    if address := _facility_address(facility):
        resource["address"] = address
    return resource


def location(facility: Facility) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(facility.id),
        "meta": meta(facility.version, facility.updated_at),
        "identifier": _facility_identifier(facility),
        "status": "active" if facility.active else "inactive",
        "name": facility.name,
        "mode": "instance",
        "managingOrganization": ref("Organization", facility.id),
    }
    if address := _facility_address(facility):
        resource["address"] = address[0]
    return resource


def healthcare_service(
    service: FacilityService, specialty_names: Mapping[str, str]
) -> dict[str, Any]:
    by_part: dict[str, list[str]] = {}
    for slot in service.timetable:
        weekday, part = slot.get("weekday"), slot.get("part_of_day")
        if isinstance(weekday, int) and 1 <= weekday <= 7 and part in PART_OF_DAY_HOURS:
            by_part.setdefault(str(part), []).append(_WEEKDAYS[weekday - 1])
    name = specialty_names.get(service.specialty_code, service.specialty_code)
    resource: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(service.id),
        "meta": meta(service.version, service.updated_at),
        "active": service.active,
        "providedBy": ref("Organization", service.facility_id),
        "type": [c.concept(c.SPECIALTY_SYSTEM, service.specialty_code, name)],
        "location": [ref("Location", service.facility_id)],
        "name": name,
    }
    times = [
        {
            "daysOfWeek": sorted(set(days), key=_WEEKDAYS.index),
            "availableStartTime": PART_OF_DAY_HOURS[part][0],
            "availableEndTime": PART_OF_DAY_HOURS[part][1],
        }
        for part, days in sorted(by_part.items())
    ]
    if times:
        resource["availableTime"] = times
    return resource


def medication(medicine: Medicine) -> dict[str, Any]:
    return {
        "resourceType": "Medication",
        "id": str(medicine.id),
        "meta": meta(medicine.version, medicine.updated_at),
        "code": {
            "coding": [
                c.coding(c.ATC, medicine.atc_code),
                c.coding(c.MEDICINE_SYSTEM, medicine.code, medicine.name),
            ],
            "text": medicine.name,
        },
        "status": "active" if medicine.active else "inactive",
        "form": {"text": medicine.dosage_form},
        "ingredient": [
            {
                "itemCodeableConcept": {
                    "text": f"{medicine.active_ingredient} {medicine.strength}"
                },
                "isActive": True,
            }
        ],
    }
