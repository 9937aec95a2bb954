"""Reference data as the API shows it."""

from typing import Annotated

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from veteran_care.kit.schemas import Bool, InputSchema, Int, OutputSchema, Schema, examples
from veteran_care.kit.text import Line100

CATEGORY_CODE_PATTERN = r"^[a-z][a-z-]{1,39}$"
CategoryCode = Annotated[
    str,
    Field(pattern=CATEGORY_CODE_PATTERN, max_length=40, examples=["wounded-soldier"]),
]


class CommuneRead(OutputSchema):
    """A commune or ward of the province (two-tier administration since 1 July 2025)."""

    code: str
    """5-digit national code."""
    name: str
    """Name (Vietnamese), e.g. Phường Mường Thanh."""
    division_type: str
    """Kind of unit (xã commune, phường ward, ...), in Vietnamese."""
    province_code: str
    """2-digit province code (Điện Biên = 11)."""
    province_name: str
    """Province name."""


class OldCommunePart(CommuneRead):
    """A 2025 commune that an old commune became (part of)."""

    is_default: bool
    """true: where a record with the old code is placed when nothing else tells (the only
    part, or the default one of an old commune that was split)."""


class OldCommuneRead(OutputSchema):
    """A commune code of before 1 July 2025 and the 2025 communes it became."""

    model_config = examples(
        {
            "old_code": "03124",
            "old_name": "Phường Noong Bua",
            "old_district": "Thành phố Điện Biên Phủ",
            "old_province_code": "11",
            "communes": [
                {
                    "code": "03334",
                    "name": "Phường Mường Thanh",
                    "division_type": "phường",
                    "province_code": "11",
                    "province_name": "Điện Biên",
                    "is_default": True,
                }
            ],
        }
    )

    old_code: str
    """The 5-digit code of before 1 July 2025."""
    old_name: str
    """The old commune's name."""
    old_district: str
    """The district it was in (districts were abolished in 2025)."""
    old_province_code: str
    """The 2-digit code of its province before 2025."""
    communes: list[OldCommunePart]
    """The 2025 communes it became: one, or several when it was split (one the default)."""


class EthnicGroupRead(OutputSchema):
    """An ethnic group of the national list."""

    code: str
    """2-digit national code (01 Kinh, 03 Thái, ...; 55 foreigner, 99 unknown)."""
    name: str
    """Name (Vietnamese)."""


class CategoryRead(OutputSchema):
    """A beneficiary category: its names, the legal range of its disability rate, its check
    interval and the law that defines it."""

    code: str
    """Stable English code, e.g. wounded-soldier."""
    name_vi: str
    """Vietnamese name, e.g. Thương binh."""
    name_en: str
    """English name."""
    carries_disability_rate: bool
    """true: a member may have a disability rate (within the range below)."""
    disability_rate_required: bool
    """true: every member must have one (wounded and sick soldiers); false for a category whose
    members may be recognised without one (toxic chemicals: a child's deformity)."""
    min_disability_rate: int | None
    """The lowest disability rate the category admits, in percent (wounded soldiers 21, sick
    soldiers 41); null for a category without one."""
    max_disability_rate: int | None
    """The highest disability rate the category admits, in percent; null without one."""
    check_interval_months: int
    """A person is due when no check was fulfilled within this interval."""
    overdue_grace_days: int
    """Overdue this many days after becoming due."""
    legal_basis: str | None
    """The text that defines the group (e.g. Pháp lệnh 02/2020/UBTVQH14, Điều 3 khoản 1 điểm g);
    null for a category the department added."""


Interval = Annotated[Int, Field(ge=1, le=120)]
Grace = Annotated[Int, Field(ge=0, le=3650)]
Rate = Annotated[Int, Field(ge=1, le=100)]


class CategoryCreate(InputSchema):
    """A category of the department's own (a local programme's group). A category with a
    disability rate gives its range (min_disability_rate to max_disability_rate); one without
    gives neither."""

    model_config = examples(
        {
            "code": "agent-orange-child",
            "name_vi": "Con đẻ của người nhiễm chất độc hóa học",
            "name_en": "Child of a person exposed to toxic chemicals",
            "carries_disability_rate": True,
            "disability_rate_required": False,
            "min_disability_rate": 21,
            "max_disability_rate": 100,
            "check_interval_months": 12,
        }
    )

    code: CategoryCode
    """Stable English code: lower-case letters and hyphens, e.g. agent-orange-child."""
    name_vi: Line100
    """Vietnamese name."""
    name_en: Line100
    """English name."""
    carries_disability_rate: Bool = False
    """true: a member may have a disability rate, within the range given."""
    disability_rate_required: Bool = False
    """true: every member must have one (only with carries_disability_rate)."""
    min_disability_rate: Rate | None = None
    """Lowest rate, in percent; required with carries_disability_rate, refused without."""
    max_disability_rate: Rate | None = None
    """Highest rate, in percent (at least min_disability_rate); as min_disability_rate."""
    check_interval_months: Interval = 12
    """A person is due when no check was fulfilled within this interval."""
    overdue_grace_days: Grace = 60
    """Overdue this many days after becoming due."""


class CategoryUpdate(InputSchema):
    """A category's names, check interval and grace period. Only the fields present change;
    the rate range stays (members were recorded by it)."""

    model_config = examples({"check_interval_months": 6, "overdue_grace_days": 30})

    name_vi: Line100 | SkipJsonSchema[None] = None
    """Vietnamese name."""
    name_en: Line100 | SkipJsonSchema[None] = None
    """English name."""
    check_interval_months: Interval | SkipJsonSchema[None] = Field(
        None, description="A person is due when no check was fulfilled within this interval."
    )
    overdue_grace_days: Grace | SkipJsonSchema[None] = Field(
        None, description="Overdue this many days after becoming due."
    )


class CommuneList(Schema):
    """The communes and wards of the province."""

    items: list[CommuneRead]
    """The communes, by code."""


class EthnicGroupList(Schema):
    """The national list of ethnic groups."""

    items: list[EthnicGroupRead]
    """The groups, by code."""


class CategoryList(Schema):
    """The beneficiary categories."""

    items: list[CategoryRead]
    """The categories."""
