"""Reference data as the API shows it."""

from pydantic import BaseModel

from veteran_care.kit.schemas import OutputSchema


class CommuneRead(OutputSchema):
    code: str
    name: str
    division_type: str
    province_code: str
    province_name: str


class EthnicGroupRead(OutputSchema):
    code: str
    name: str


class CategoryRead(OutputSchema):
    code: str
    name_vi: str
    name_en: str
    carries_disability_rate: bool


class CommuneList(BaseModel):
    items: list[CommuneRead]


class EthnicGroupList(BaseModel):
    items: list[EthnicGroupRead]


class CategoryList(BaseModel):
    items: list[CategoryRead]
