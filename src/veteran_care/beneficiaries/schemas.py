"""HTTP shapes of the registry: create, update (partial), read; cards."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from veteran_care.beneficiaries.identifiers import (
    BHXH_PATTERN,
    CARD_NUMBER_PATTERN,
    FACILITY_CODE_PATTERN,
    NATIONAL_ID_PATTERN,
)
from veteran_care.kit import clock
from veteran_care.kit.schemas import Day, InputSchema, Int, OutputSchema
from veteran_care.kit.text import Line100, Line200, Line300
from veteran_care.models import (
    BeneficiaryStatus,
    CardNumberFormat,
    CardStatus,
    NationalIdType,
    Sex,
)

MIN_BIRTH_YEAR = 1900
CATEGORY_CODE_PATTERN = r"^[a-z][a-z-]{1,39}$"

FullName = Annotated[Line200, Field(examples=["Nguyễn Văn An"])]
NationalId = Annotated[
    str,
    Field(pattern=NATIONAL_ID_PATTERN, max_length=12),
    Field(
        description="CCCD (12 digits) or legacy CMND (9 digits, marked `cmnd`).",
        examples=["011058001234"],
    ),
]
BhxhNumber = Annotated[
    str,
    Field(pattern=BHXH_PATTERN, max_length=10),
    Field(description="10-digit social-insurance number (mã số BHXH).", examples=["1122334455"]),
]
CommuneCode = Annotated[
    str,
    Field(pattern=r"^[0-9]{5}$", max_length=5),
    Field(description="5-digit national commune code.", examples=["03127"]),
]
EthnicityCode = Annotated[
    str,
    Field(pattern=r"^[0-9]{2}$", max_length=2),
    Field(description="2-digit national ethnic-group code (99 = unknown).", examples=["03"]),
]
CategoryCode = Annotated[
    str,
    Field(pattern=CATEGORY_CODE_PATTERN, max_length=40, examples=["wounded-soldier"]),
]


def _phone(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not re.fullmatch(r"\+?[0-9][0-9 .()-]{6,22}[0-9]", value):
        raise ValueError("a phone number: digits, optionally + first and spaces . - ( )")
    digits = "".join(ch for ch in value if ch not in " .-()")
    if not re.fullmatch(r"\+?[0-9]{8,15}", digits):
        raise ValueError("a phone number has 8 to 15 digits")
    return digits


Phone = Annotated[
    str,
    Field(
        pattern=r"^\+?[0-9][0-9 .()-]{6,22}[0-9]$",
        max_length=24,
        description="Stored as digits only (and a leading +).",
        examples=["0912 345 678"],
    ),
    BeforeValidator(_phone),
]


def _not_future(value: date | None) -> date | None:
    if value is not None and value > clock.today():  # the province's today
        raise ValueError("must not be in the future")
    return value


PastDate = Annotated[Day, AfterValidator(_not_future)]


class CategoryIn(InputSchema):
    code: CategoryCode
    disability_rate: Annotated[Int, Field(ge=1, le=100)] | None = Field(
        None, description="Percent; required for wounded and sick soldiers, refused otherwise."
    )
    recognition_date: PastDate | None = None


class CategoryOut(OutputSchema):
    code: str = Field(validation_alias="category_code")
    disability_rate: int | None
    recognition_date: date | None


def _check_birth(birth_date: date | None, birth_year: int | None) -> None:
    if birth_date is not None and birth_date.year < MIN_BIRTH_YEAR:
        raise ValueError(f"birth_date must be in {MIN_BIRTH_YEAR} or later")
    if birth_date is not None and birth_year is not None and birth_date.year != birth_year:
        raise ValueError("birth_year must be the year of birth_date")


def _check_categories(categories: list[CategoryIn] | None) -> None:
    if categories is None:
        return
    codes = [c.code for c in categories]
    if len(codes) != len(set(codes)):
        raise ValueError("a category may be listed once")


BirthYear = Annotated[Int, Field(ge=MIN_BIRTH_YEAR, le=2100, examples=[1948])]
BirthYearQuery = Annotated[int, Field(ge=MIN_BIRTH_YEAR, le=2100, examples=[1948])]


class BeneficiaryCreate(InputSchema):
    """A person of the registry. The birth is given as birth_date, birth_year or both (then
    birth_year is the year of birth_date); a wounded or sick soldier's category carries a
    disability_rate, other categories none; codes (commune, ethnic group, category) and
    registered_facility_id must exist (422 `unknown-*`)."""

    # birth_year is required unless birth_date is given (`if`/`else`, which generated clients
    # read as one model with every property).
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"birth_date": {"type": "string"}}, "required": ["birth_date"]},
            "else": {"properties": {"birth_year": {"type": "integer"}}, "required": ["birth_year"]},
        }
    )

    full_name: FullName
    birth_date: PastDate | None = Field(None, description="Full date, when known.")
    birth_year: BirthYear | None = Field(
        None,
        description="Year alone when the date is unknown; derived from birth_date if given "
        "(and then equal to its year). One of birth_date and birth_year is required.",
    )
    sex: Sex
    ethnicity_code: EthnicityCode = "99"
    national_id: NationalId | None = None
    bhxh_number: BhxhNumber | None = None
    phone: Phone | None = None
    commune_code: CommuneCode | None = None
    address_line: Line300 | None = None
    legacy_district: Line100 | None = Field(
        None, description="District name from records made before the July 2025 reform."
    )
    registered_facility_id: uuid.UUID | None = None
    categories: list[CategoryIn] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _consistent(self) -> "BeneficiaryCreate":
        if self.birth_date is None and self.birth_year is None:
            raise ValueError("give birth_date or birth_year")
        _check_birth(self.birth_date, self.birth_year)
        _check_categories(self.categories)
        return self


class BeneficiaryUpdate(InputSchema):
    """Partial update: only the fields present change. Needs If-Match."""

    full_name: FullName | SkipJsonSchema[None] = None
    birth_date: PastDate | None = None
    birth_year: BirthYear | SkipJsonSchema[None] = None
    sex: Sex | SkipJsonSchema[None] = None
    ethnicity_code: EthnicityCode | SkipJsonSchema[None] = None
    national_id: NationalId | None = None
    bhxh_number: BhxhNumber | None = None
    phone: Phone | None = None
    commune_code: CommuneCode | None = None
    address_line: Line300 | None = None
    legacy_district: Line100 | None = None
    registered_facility_id: uuid.UUID | None = None
    categories: Annotated[list[CategoryIn], Field(max_length=10)] | None = Field(
        None, description="Replaces the list when sent."
    )
    status: BeneficiaryStatus | SkipJsonSchema[None] = None
    date_of_death: PastDate | None = Field(None, description="Required when status is deceased.")

    @model_validator(mode="after")
    def _consistent(self) -> "BeneficiaryUpdate":
        _check_birth(self.birth_date, self.birth_year)
        _check_categories(self.categories)
        return self

    @field_validator("full_name", "birth_year", "sex", "ethnicity_code", "status")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only for fields the client sent: leaving a field out keeps it, null is refused.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


class CardRead(OutputSchema):
    id: uuid.UUID
    beneficiary_id: uuid.UUID
    number: str
    number_format: CardNumberFormat
    object_code: str | None
    benefit_level: int | None
    province_code: str | None
    bhxh_number: str
    valid_from: date
    valid_to: date
    registration_facility_code: str
    status: CardStatus
    version: int
    created_at: datetime
    updated_at: datetime


class BeneficiaryRead(OutputSchema):
    id: uuid.UUID
    full_name: str
    birth_date: date | None
    birth_year: int
    sex: Sex
    ethnicity_code: str
    national_id: str | None
    national_id_type: NationalIdType | None
    bhxh_number: str | None
    phone: str | None
    commune_code: str | None
    address_line: str | None
    legacy_district: str | None
    registered_facility_id: uuid.UUID | None
    categories: list[CategoryOut]
    status: BeneficiaryStatus
    date_of_death: date | None
    current_card: CardRead | None = Field(None, description="The active card valid today, if any.")
    version: int
    created_at: datetime
    updated_at: datetime


class BeneficiarySummary(OutputSchema):
    """A row of the registry list (no cards, no categories' details)."""

    id: uuid.UUID
    full_name: str
    birth_date: date | None
    birth_year: int
    sex: Sex
    ethnicity_code: str
    national_id: str | None
    bhxh_number: str | None
    commune_code: str | None
    registered_facility_id: uuid.UUID | None
    status: BeneficiaryStatus
    version: int
    created_at: datetime


class CardCreate(InputSchema):
    number: Annotated[
        str,
        Field(pattern=CARD_NUMBER_PATTERN, max_length=15),
        Field(
            description="15-character legacy number (e.g. CB2111122334455) or the 10-digit "
            "BHXH number printed on cards since April 2021.",
            examples=["CB2111122334455"],
        ),
    ]
    valid_from: Day
    valid_to: Day
    registration_facility_code: Annotated[
        str,
        Field(pattern=FACILITY_CODE_PATTERN, max_length=5),
        Field(description="5-character first-registration facility code.", examples=["11001"]),
    ]

    @model_validator(mode="after")
    def _order(self) -> "CardCreate":
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to must be on or after valid_from")
        return self


class CardStatusUpdate(InputSchema):
    status: CardStatus
