"""`_elements`: the top-level elements a client asks for, plus what every resource must carry
(`id`, `meta`, the elements of cardinality 1.. of the type), tagged SUBSETTED as FHIR asks."""

import re
from collections.abc import Iterable
from typing import Any

from veteran_care.fhir.codes import SECURITY_VALUE

ELEMENT = re.compile(r"^[a-z][A-Za-z0-9]{0,63}$")
SUBSETTED = {
    "system": SECURITY_VALUE,
    "code": "SUBSETTED",
    "display": "Resource encoded in summary mode",
}
# Elements of minimum cardinality 1 in R4, for the types of this view that have any.
MANDATORY: dict[str, tuple[str, ...]] = {
    "Coverage": ("status", "beneficiary", "payor"),
    "Appointment": ("status", "participant"),
    "Encounter": ("status", "class"),
    "Observation": ("status", "code"),
    "Condition": ("subject",),
    "MedicationDispense": ("status", "medicationReference"),
}
# Choice elements (`value[x]`): `_elements=value` asks for valueQuantity, valueString, ...
CHOICES = ("value", "effective", "deceased", "medication", "statusReason")
_ALWAYS = ("resourceType", "id", "meta")


def parse(value: str | None) -> frozenset[str] | None:
    """The element names of `_elements=a,b`; None when any is not an element name."""
    if value is None:
        return None
    names = frozenset(name.strip() for name in value.split(",") if name.strip())
    if not names or not all(ELEMENT.match(name) for name in names):
        return None
    return names


def _kept(key: str, names: Iterable[str]) -> bool:
    return any(
        key == name or (name in CHOICES and key.startswith(name) and key[len(name) :][:1].isupper())
        for name in names
    )


def subset(resource: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    wanted = names | set(MANDATORY.get(resource["resourceType"], ())) | set(_ALWAYS)
    found = {key: value for key, value in resource.items() if _kept(key, wanted)}
    meta = dict(found.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    found["meta"] = meta
    return found
