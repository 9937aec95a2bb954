"""What a printout shows, gathered from the database (``service``) and laid out by the page
modules: plain values, already masked where the caller's role requires."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Slip:
    """One appointment slip: one checkup of one person."""

    full_name: str
    birth_year: int
    national_id: str | None
    card_number: str | None
    facility_name: str
    facility_address: str | None
    date: dt.date
    part_of_day: str | None
    specialties: list[str]
    token: str
    campaign_name: str | None = None
    venue: str | None = None  # where it takes place when not at the facility (a commune hall)


@dataclass(frozen=True)
class DayListRow:
    order: int
    full_name: str
    birth_year: int
    commune: str | None
    categories: str
    phone: str | None


@dataclass(frozen=True)
class DayList:
    """The people of one session (one specialty, one date and part of day)."""

    facility_name: str
    specialty: str
    date: dt.date
    part_of_day: str
    rows: list[DayListRow]


@dataclass(frozen=True)
class Vitals:
    """The last measurements on record and when they were taken."""

    taken_on: dt.date
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    bmi: Decimal | None = None
    glucose_mmol_l: Decimal | None = None
    visual_acuity_left: Decimal | None = None
    visual_acuity_right: Decimal | None = None


@dataclass(frozen=True)
class HealthCheckForm:
    """The periodic health-check form of one checkup, pre-filled."""

    facility_name: str
    full_name: str
    sex: str
    birth: str
    ethnicity: str | None
    national_id: str | None
    address: str | None
    card_number: str | None
    card_valid: str | None
    card_facility: str | None
    categories: list[str]
    date: dt.date
    specialties: list[str]
    last_vitals: Vitals | None = None
    last_class: str | None = None
    last_class_on: dt.date | None = None
    last_conclusion: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
