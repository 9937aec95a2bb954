"""The department's own beneficiary categories, and changes to any category's names and check
interval. The groups the law defines come with the migrations; a department adds its own (a
local programme's group) with the same columns, and the registry validates by them alike."""

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.errors import Conflict, NotFound, Unprocessable
from veteran_care.kit.i18n import Message
from veteran_care.models import BeneficiaryCategory
from veteran_care.reference.schemas import CategoryCreate, CategoryUpdate


def _range_problem(data: CategoryCreate) -> tuple[str, Message] | None:
    """``(field, message)`` when the rate columns do not agree with each other."""
    lowest, highest = data.min_disability_rate, data.max_disability_rate
    if not data.carries_disability_rate:
        for field, value in (("min_disability_rate", lowest), ("max_disability_rate", highest)):
            if value is not None:
                return field, Message("only a category that carries a disability rate has a range")
        if data.disability_rate_required:
            return (
                "disability_rate_required",
                Message("a category without a disability rate cannot require one"),
            )
        return None
    if lowest is None:
        return "min_disability_rate", Message("a rated category gives its lowest rate")
    if highest is None:
        return "max_disability_rate", Message("a rated category gives its highest rate")
    if highest < lowest:
        return "max_disability_rate", Message("must be at least {lowest}", lowest=lowest)
    return None


async def create(session: AsyncSession, data: CategoryCreate, actor: Actor) -> BeneficiaryCategory:
    problem = _range_problem(data)
    if problem is not None:
        field, message = problem
        raise Unprocessable(
            Message("{field}: {problem}.", field=field, problem=message),
            code="invalid-rate-range",
            field=field,
        )
    if await session.get(BeneficiaryCategory, data.code) is not None:
        raise Conflict(
            Message("There is already a beneficiary category {code}.", code=data.code),
            code="duplicate",
            fields=["code"],
        )
    category = BeneficiaryCategory(**data.model_dump(), legal_basis=None)
    session.add(category)
    await session.flush()
    await audit.record(
        session,
        actor,
        "create",
        resource_type="beneficiary_category",
        resource_id=category.code,
        changed_fields=sorted(data.model_fields_set | {"code"}),
    )
    return category


async def get(session: AsyncSession, code: str) -> BeneficiaryCategory:
    category = await session.get(BeneficiaryCategory, code)
    if category is None:
        raise NotFound(Message("There is no beneficiary category {code}.", code=code))
    return category


async def update(
    session: AsyncSession, code: str, data: CategoryUpdate, actor: Actor
) -> BeneficiaryCategory:
    category = await get(session, code)
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
    return category
