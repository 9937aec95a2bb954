"""Read-only reference lists (small, bounded: returned whole)."""

from typing import Annotated

from fastapi import APIRouter, Query

from veteran_care.db import ReadSession
from veteran_care.errors import problem_responses
from veteran_care.identity.dependencies import allow
from veteran_care.identity.permissions import Permission
from veteran_care.identity.principal import Actor
from veteran_care.reference import repository
from veteran_care.reference.schemas import (
    CategoryList,
    CategoryRead,
    CommuneList,
    CommuneRead,
    EthnicGroupList,
    EthnicGroupRead,
)

router = APIRouter(tags=["reference"], responses=problem_responses())

Reader = Annotated[Actor, allow(Permission.reference_read)]


@router.get("/communes", summary="List communes and wards")
async def list_communes(
    actor: Reader,
    session: ReadSession,
    province_code: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{2}$", max_length=2, description="2-digit province code, e.g. 11."),
    ] = None,
) -> CommuneList:
    rows = await repository.communes(session, province_code)
    return CommuneList(items=[CommuneRead.model_validate(r) for r in rows])


@router.get("/ethnic-groups", summary="List ethnic groups (national 2-digit codes)")
async def list_ethnic_groups(actor: Reader, session: ReadSession) -> EthnicGroupList:
    rows = await repository.ethnic_groups(session)
    return EthnicGroupList(items=[EthnicGroupRead.model_validate(r) for r in rows])


@router.get("/beneficiary-categories", summary="List beneficiary categories")
async def list_beneficiary_categories(actor: Reader, session: ReadSession) -> CategoryList:
    rows = await repository.categories(session)
    return CategoryList(items=[CategoryRead.model_validate(r) for r in rows])
