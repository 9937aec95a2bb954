"""Read-only reference lists (small, bounded: returned whole)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.reference import categories, repository
from veteran_care.reference.schemas import (
    CATEGORY_CODE_PATTERN,
    CategoryCreate,
    CategoryList,
    CategoryRead,
    CategoryUpdate,
    CommuneList,
    CommuneRead,
    EthnicGroupList,
    EthnicGroupRead,
    OldCommunePart,
    OldCommuneRead,
)
from veteran_care.reference.service import old_commune, served_provinces

router = APIRouter(route_class=IdempotentRoute, tags=["reference"], responses=problem_responses())

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


@router.get(
    "/old-communes/{old_code}",
    summary="Look up a commune code of before 2025",
    description=(
        "The 2025 commune(s) that a commune code of before 1 July 2025 became, for records "
        "and files that still carry one (decision 0055). A commune split between several "
        "names them all, one marked `is_default`. Known for the provinces whose old codes are "
        "on record (Điện Biên and Lai Châu among them); 404 otherwise."
    ),
    responses=problem_responses(404),
)
async def get_old_commune(
    old_code: Annotated[str, Path(pattern=r"^[0-9]{5}$", description="5-digit old code.")],
    actor: Reader,
    session: ReadSession,
) -> OldCommuneRead:
    found = await old_commune(session, old_code)
    first = found[0][0]
    return OldCommuneRead(
        old_code=first.old_code,
        old_name=first.old_name,
        old_district=first.old_district,
        old_province_code=first.old_province_code,
        communes=[
            OldCommunePart.model_validate(
                CommuneRead.model_validate(new).model_dump() | {"is_default": old.is_default}
            )
            for old, new in found
        ],
    )


@router.get("/ethnic-groups", summary="List ethnic groups (national 2-digit codes)")
async def list_ethnic_groups(actor: Reader, session: ReadSession) -> EthnicGroupList:
    rows = await repository.ethnic_groups(session)
    return EthnicGroupList(items=[EthnicGroupRead.model_validate(r) for r in rows])


Admin = Annotated[Actor, allow(Permission.reference_write)]
IdempotentAdmin = Annotated[Actor, idempotent(Permission.reference_write)]
CategoryPath = Annotated[str, Path(pattern=CATEGORY_CODE_PATTERN, max_length=40)]


@router.post(
    "/beneficiary-categories",
    status_code=status.HTTP_201_CREATED,
    summary="Add a category of the department's own",
    description="The groups the law defines are there already. 409 `duplicate` when the code "
    "is taken; 422 `invalid-rate-range` naming the field when the rate range does not add up.",
    responses=problem_responses(409),
)
async def create_beneficiary_category(
    data: CategoryCreate, actor: IdempotentAdmin, session: WriteSession, response: Response
) -> CategoryRead:
    category = await categories.create(session, data, actor)
    response.headers["Location"] = f"/api/v1/beneficiary-categories/{category.code}"
    return CategoryRead.model_validate(category)


@router.get(
    "/beneficiary-categories/{code}",
    summary="Read a beneficiary category",
    responses=problem_responses(404),
)
async def get_beneficiary_category(
    code: CategoryPath, actor: Reader, session: ReadSession
) -> CategoryRead:
    return CategoryRead.model_validate(await categories.get(session, code))


@router.patch(
    "/beneficiary-categories/{code}",
    summary="Set a category's names, check interval and overdue grace period",
    responses=problem_responses(404),
)
async def update_beneficiary_category(
    code: CategoryPath, data: CategoryUpdate, actor: Admin, session: WriteSession
) -> CategoryRead:
    return CategoryRead.model_validate(await categories.update(session, code, data, actor))


@router.get("/beneficiary-categories", summary="List beneficiary categories")
async def list_beneficiary_categories(actor: Reader, session: ReadSession) -> CategoryList:
    rows = await repository.categories(session)
    return CategoryList(items=[CategoryRead.model_validate(r) for r in rows])
