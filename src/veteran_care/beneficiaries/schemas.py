"""HTTP shapes of the registry: create, update (partial), read; cards."""

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from veteran_care.beneficiaries import examples as ex
from veteran_care.beneficiaries.fields import (
    MIN_BIRTH_YEAR,
    BhxhNumber,
    BirthYear,
    CategoryCode,
    CommuneCode,
    DecisionNumber,
    EthnicityCode,
    FullName,
    NationalId,
    PastDate,
    Phone,
)
from veteran_care.beneficiaries.identifiers import (
    CARD_NUMBER_PATTERN,
    FACILITY_CODE_PATTERN,
)
from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    Bool,
    CreatedAt,
    Day,
    InputSchema,
    Int,
    OutputSchema,
    UpdatedAt,
    Version,
    examples,
)
from veteran_care.kit.text import Line100, Line200, Line300
from veteran_care.models import (
    BeneficiaryStatus,
    CardNumberFormat,
    CardStatus,
    NationalIdType,
    Sex,
)


class CategoryIn(InputSchema):
    """A category the person belongs to (veteran, wounded soldier, ...), with its recognition:
    the decision's number, date and issuing authority."""

    code: CategoryCode
    """The category's code (`GET /beneficiary-categories`), e.g. wounded-soldier."""
    disability_rate: Annotated[Int, Field(ge=1, le=100)] | None = Field(
        None,
        description="Percent, within the category's legal range (`min_disability_rate` to "
        "`max_disability_rate`); required where the category says so, refused for a category "
        "without one.",
    )
    recognition_date: PastDate | None = None
    """Date of the recognition decision (not in the future)."""
    decision_number: DecisionNumber | None = None
    """Number of the recognition decision, e.g. 1234/QĐ-LĐTBXH."""
    issuing_authority: Line200 | None = None
    """Who issued the decision, e.g. Sở Lao động - Thương binh và Xã hội tỉnh Điện Biên."""
    main: Bool | None = None
    """true: the person's main category (one at most). When none is marked, the first listed is
    the main one."""


class CategoryOut(OutputSchema):
    """A category the person belongs to, with its disability rate and its recognition."""

    code: str = Field(validation_alias="category_code")
    """The category's code (`GET /beneficiary-categories`), e.g. wounded-soldier."""
    disability_rate: int | None
    """Percent, for a category with a rate (wounded soldier 21-100, 81 and above: severe)."""
    recognition_date: date | None
    """Date of the recognition decision, if recorded."""
    decision_number: str | None
    """Number of the recognition decision, if recorded."""
    issuing_authority: str | None
    """Who issued the decision, if recorded."""
    main: bool = Field(validation_alias="is_main")
    """true for the person's main category (exactly one when they have any)."""


def _born_since(value: date | None) -> date | None:
    if value is not None and value.year < MIN_BIRTH_YEAR:
        raise InvalidValue("birth_date must be in {year} or later", year=MIN_BIRTH_YEAR)
    return value


def _year_of_birth(value: int | None, info: ValidationInfo, *, required: bool) -> int | None:
    """birth_year against birth_date (validated before it: ``info.data``), so that the error
    names birth_year rather than the whole body."""
    born = info.data.get("birth_date")
    if required and value is None and "birth_date" in info.data and born is None:
        raise InvalidValue("give birth_date or birth_year")
    if born is not None and value is not None and born.year != value:
        raise InvalidValue("birth_year must be the year of birth_date")
    return value


def _check_categories(categories: list[CategoryIn] | None) -> list[CategoryIn] | None:
    codes = [c.code for c in categories or []]
    if len(codes) != len(set(codes)):
        raise InvalidValue("a category may be listed once")
    if sum(1 for c in categories or [] if c.main) > 1:
        raise InvalidValue("one category at most is marked main")
    return categories


class _BirthAndCategories(InputSchema):
    """Rules shared by a registration and an update, each error named on its own field."""

    @field_validator("birth_date", check_fields=False)
    @classmethod
    def _since_1900(cls, value: date | None) -> date | None:
        return _born_since(value)

    @field_validator("categories", check_fields=False)
    @classmethod
    def _categories_once(cls, value: list[CategoryIn] | None) -> list[CategoryIn] | None:
        return _check_categories(value)


class BeneficiaryCreate(_BirthAndCategories):
    """Register a person. The birth is given as birth_date, birth_year or both (then birth_year
    is the year of birth_date); a wounded or sick soldier's category carries a disability_rate,
    other categories none; codes (commune, ethnic group, category) and registered_facility_id
    must exist (422 `unknown-*`); the CCCD and the BHXH number must not belong to someone else
    already (409)."""

    # birth_year is required unless birth_date is given (`if`/`else`, which generated clients
    # read as one model with every property).
    model_config = examples(
        ex.BENEFICIARY_CREATE,
        **{
            "if": {"properties": {"birth_date": {"type": "string"}}, "required": ["birth_date"]},
            "else": {"properties": {"birth_year": {"type": "integer"}}, "required": ["birth_year"]},
        },
    )

    full_name: FullName
    """Full name with diacritics (stored NFC, searched accent-insensitively)."""
    birth_date: PastDate | None = Field(None, description="Full date, when known.")
    birth_year: BirthYear | None = Field(
        None,
        validate_default=True,
        description="Year alone when the date is unknown; derived from birth_date if given "
        "(and then equal to its year). One of birth_date and birth_year is required.",
    )
    sex: Sex
    """Sex (FHIR AdministrativeGender)."""
    ethnicity_code: EthnicityCode = "99"
    """2-digit national ethnic-group code (`GET /ethnic-groups`); 99 = unknown."""
    national_id: NationalId | None = None
    """CCCD (12 digits) or legacy CMND (9 digits); unique in the registry."""
    bhxh_number: BhxhNumber | None = None
    """10-digit social-insurance number (mã số BHXH): the stable person key; unique."""
    phone: Phone | None = None
    """Phone number for reminders; stored as digits only (and a leading +)."""
    commune_code: CommuneCode | None = None
    """Commune of residence: 5-digit national code (`GET /communes`)."""
    address_line: Line300 | None = None
    """Village, hamlet, street and house number (free text)."""
    legacy_district: Line100 | None = Field(
        None, description="District name from records made before the July 2025 reform."
    )
    registered_facility_id: uuid.UUID | None = None
    """The facility the person is registered with for checks."""
    categories: list[CategoryIn] = Field(default_factory=list, max_length=10)
    """The categories the person belongs to (one person can be in several)."""

    @field_validator("birth_year")
    @classmethod
    def _birth_year(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _year_of_birth(value, info, required=True)


class BeneficiaryUpdate(_BirthAndCategories):
    """Partial update: only the fields present change. Needs If-Match."""

    model_config = examples(ex.BENEFICIARY_UPDATE)

    full_name: FullName | SkipJsonSchema[None] = None
    """Full name with diacritics."""
    birth_date: PastDate | None = None
    """Full birth date; null clears it (birth_year stays)."""
    birth_year: BirthYear | SkipJsonSchema[None] = None
    """Year of birth."""
    sex: Sex | SkipJsonSchema[None] = None
    """Sex (FHIR AdministrativeGender)."""
    ethnicity_code: EthnicityCode | SkipJsonSchema[None] = None
    """2-digit national ethnic-group code."""
    national_id: NationalId | None = None
    """CCCD (12 digits) or legacy CMND (9 digits); null clears it."""
    bhxh_number: BhxhNumber | None = None
    """10-digit social-insurance number; null clears it."""
    phone: Phone | None = None
    """Phone number; null clears it."""
    commune_code: CommuneCode | None = None
    """Commune of residence; null clears it."""
    address_line: Line300 | None = None
    """Village, street and house number; null clears it."""
    legacy_district: Line100 | None = None
    """District name from records made before the July 2025 reform; null clears it."""
    registered_facility_id: uuid.UUID | None = None
    """The facility the person is registered with; null clears it."""
    categories: Annotated[list[CategoryIn], Field(max_length=10)] | None = Field(
        None, description="Replaces the list when sent."
    )
    status: BeneficiaryStatus | SkipJsonSchema[None] = None
    """active, deceased (give date_of_death) or moved-away."""
    date_of_death: PastDate | None = Field(None, description="Required when status is deceased.")

    @field_validator("birth_year", mode="after")
    @classmethod
    def _birth_year(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _year_of_birth(value, info, required=False)

    @field_validator("full_name", "birth_year", "sex", "ethnicity_code", "status")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only for fields the client sent: leaving a field out keeps it, null is refused.
        if value is None:
            raise InvalidValue("cannot be null; leave the field out to keep it")
        return value


class CardRead(OutputSchema):
    """A health-insurance card (thẻ BHYT) of a beneficiary (FHIR Coverage)."""

    model_config = examples(ex.CARD_READ)

    id: uuid.UUID
    """The card's id."""
    beneficiary_id: uuid.UUID
    """The card holder."""
    number: str
    """The number as printed: 15 characters (legacy) or the 10-digit BHXH number. Masked (all but
    the last 4 characters) for roles that do not see identifiers."""
    number_format: CardNumberFormat
    """legacy-15 or bhxh-10 (read from the number)."""
    object_code: str | None
    """2-letter object code of a legacy number (CC, CK, CB, KC, TS, ...); null for bhxh-10."""
    benefit_level: int | None
    """Benefit level 1-5 of a legacy number; null for bhxh-10."""
    province_code: str | None
    """2-digit province code of a legacy number (Điện Biên = 11); null for bhxh-10."""
    bhxh_number: str
    """The 10-digit social-insurance number the card carries. Masked (all but the last 4 characters)
    for roles that do not see identifiers."""
    valid_from: date
    """First day the card is valid."""
    valid_to: date
    """Last day the card is valid."""
    registration_facility_code: str
    """5-character code of the first-registration facility."""
    status: CardStatus
    """active, cancelled or entered-in-error."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class BeneficiaryRead(OutputSchema):
    """A person of the registry, with categories and the card valid today."""

    model_config = examples(ex.BENEFICIARY_READ)

    id: uuid.UUID
    """The beneficiary's id."""
    full_name: str
    """Full name with diacritics (NFC)."""
    birth_date: date | None
    """Full birth date; null when only the year is known."""
    birth_year: int
    """Year of birth (always known)."""
    sex: Sex
    """Sex (FHIR AdministrativeGender)."""
    ethnicity_code: str
    """2-digit national ethnic-group code; 99 = unknown."""
    national_id: str | None
    """CCCD or legacy CMND number. Masked (all but the last 4 characters) for roles that do not see
    identifiers."""
    national_id_type: NationalIdType | None
    """cccd or cmnd (from the number's length); null without a number."""
    bhxh_number: str | None
    """10-digit social-insurance number. Masked (all but the last 4 characters) for roles that do
    not see identifiers."""
    phone: str | None
    """Phone number (digits, optional leading +). Masked (all but the last 4 characters) for
    roles that do not see identifiers."""
    commune_code: str | None
    """Commune of residence (5-digit national code)."""
    address_line: str | None
    """Village, street and house number."""
    legacy_district: str | None
    """District name from records made before the July 2025 reform."""
    registered_facility_id: uuid.UUID | None
    """The facility the person is registered with for checks."""
    categories: list[CategoryOut]
    """The categories the person belongs to."""
    status: BeneficiaryStatus
    """active, deceased or moved-away."""
    date_of_death: date | None
    """Set when status is deceased."""
    current_card: CardRead | None = Field(None, description="The active card valid today, if any.")
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class BeneficiarySummary(OutputSchema):
    """A row of the registry list (no cards, no categories' details)."""

    id: uuid.UUID
    """The beneficiary's id."""
    full_name: str
    """Full name with diacritics (NFC)."""
    birth_date: date | None
    """Full birth date; null when only the year is known."""
    birth_year: int
    """Year of birth (always known)."""
    sex: Sex
    """Sex (FHIR AdministrativeGender)."""
    ethnicity_code: str
    """2-digit national ethnic-group code; 99 = unknown."""
    national_id: str | None
    """CCCD or legacy CMND number. Masked (all but the last 4 characters) for roles that do not see
    identifiers."""
    bhxh_number: str | None
    """10-digit social-insurance number. Masked (all but the last 4 characters) for roles that do
    not see identifiers."""
    commune_code: str | None
    """Commune of residence (5-digit national code)."""
    registered_facility_id: uuid.UUID | None
    """The facility the person is registered with for checks."""
    status: BeneficiaryStatus
    """active, deceased or moved-away."""
    version: Version
    created_at: CreatedAt


class CardCreate(InputSchema):
    """A new health-insurance card for the beneficiary; the number's parts are read from it."""

    model_config = examples(ex.CARD_CREATE)

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
    """First day the card is valid."""
    valid_to: Day
    """Last day the card is valid, on or after valid_from."""
    registration_facility_code: Annotated[
        str,
        Field(pattern=FACILITY_CODE_PATTERN, max_length=5),
        Field(description="5-character first-registration facility code.", examples=["11001"]),
    ]

    @field_validator("valid_to")
    @classmethod
    def _order(cls, value: date, info: ValidationInfo) -> date:
        valid_from = info.data.get("valid_from")
        if valid_from is not None and value < valid_from:
            raise InvalidValue("valid_to must be on or after valid_from")
        return value


class CardStatusUpdate(InputSchema):
    """A card's new status (cancelled, or entered-in-error for a card recorded by mistake). Needs
    If-Match."""

    model_config = examples({"status": "cancelled"})

    status: CardStatus
    """active, cancelled or entered-in-error."""
