"""Read-only reference lists (small, bounded: returned whole)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import NotFound, problem_responses
from veteran_care.kit.i18n import Message
from veteran_care.kit.json_body import JsonBodyRoute
from veteran_care.models import BeneficiaryCategory
from veteran_care.reference import repository
from veteran_care.reference.schemas import (
    CategoryList,
    CategoryRead,
    CategoryUpdate,
    CommuneList,
    CommuneRead,
    EthnicGroupList,
    EthnicGroupRead,
)
from veteran_care.reference.service import served_provinces

router = APIRouter(route_class=JsonBodyRoute, tags=["reference"], responses=problem_responses())

Reader = Annotated[Actor, allow(Permission.reference_read)]


@router.get("/communes", summary="List communes and wards")
async def list_communes(
    actor: Reader,
    session: ReadSession,
    province_code: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{2}$",
            max_length=2,
            description="2-digit province code, e.g. 12 (any of the 34); default: the "
            "provinces this deployment serves.",
        ),
    ] = None,
) -> CommuneList:
    provinces = [province_code] if province_code else served_provinces()
    rows = await repository.communes(session, provinces)
    return CommuneList(items=[CommuneRead.model_validate(r) for r in rows])


@router.get("/ethnic-groups", summary="List ethnic groups (national 2-digit codes)")
async def list_ethnic_groups(actor: Reader, session: ReadSession) -> EthnicGroupList:
    rows = await repository.ethnic_groups(session)
    return EthnicGroupList(items=[EthnicGroupRead.model_validate(r) for r in rows])


Admin = Annotated[Actor, allow(Permission.reference_write)]


@router.patch(
    "/beneficiary-categories/{code}",
    summary="Set a category's check interval and overdue grace period",
    responses=problem_responses(404),
)
async def update_beneficiary_category(
    code: Annotated[str, Path(pattern=r"^[a-z][a-z-]{1,39}$", max_length=40)],
    data: CategoryUpdate,
    actor: Admin,
    session: WriteSession,
) -> CategoryRead:
    category = await session.get(BeneficiaryCategory, code)
    if category is None:
        raise NotFound(Message("There is no beneficiary category {code}.", code=code))
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(category, name, value)
    await session.flush()
    await audit.record(
        session,
        actor,
        "update",
        resource_type="beneficiary_category",
        resource_id=code,
        changed_fields=sorted(data.model_fields_set),
    )
    return CategoryRead.model_validate(category)


@router.get("/beneficiary-categories", summary="List beneficiary categories")
async def list_beneficiary_categories(actor: Reader, session: ReadSession) -> CategoryList:
    rows = await repository.categories(session)
    return CategoryList(items=[CategoryRead.model_validate(r) for r in rows])
