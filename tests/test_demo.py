from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.demo import DemoSummary, seed_demo
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    Facility,
    InsuranceCard,
)

RATED = {"wounded-soldier", "sick-soldier"}


async def _count(session: AsyncSession, model: type) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def _national_ids(session: AsyncSession) -> list[str | None]:
    rows = await session.scalars(select(Beneficiary.national_id).order_by(Beneficiary.national_id))
    return list(rows)


async def test_seeds_facilities_people_and_cards_through_the_rules(session: AsyncSession) -> None:
    summary = await seed_demo(session, count=60)

    assert summary.skipped is False
    assert summary.facilities == await _count(session, Facility) == 10
    assert summary.beneficiaries == await _count(session, Beneficiary) == 60
    assert summary.cards == await _count(session, InsuranceCard) > 0
    for membership in (await session.scalars(select(BeneficiaryCategoryMembership))).all():
        assert (membership.disability_rate is not None) == (membership.category_code in RATED)
    people = (await session.scalars(select(Beneficiary))).all()
    assert any(p.full_name == "Đặng Văn Đức" and p.name_search == "dang van duc" for p in people)
    for person in people:
        assert (person.status == BeneficiaryStatus.deceased) == (person.date_of_death is not None)
        if person.national_id and len(person.national_id) == 12:
            assert person.national_id.startswith("011")


async def test_a_second_run_is_skipped(session: AsyncSession) -> None:
    await seed_demo(session, count=5)

    again = await seed_demo(session, count=5)

    assert again == DemoSummary(facilities=0, beneficiaries=0, cards=0, skipped=True)
    assert await _count(session, Beneficiary) == 5


async def test_the_same_seed_gives_the_same_people(session: AsyncSession) -> None:
    await seed_demo(session, count=30, seed=7)
    first = await _national_ids(session)
    await session.rollback()  # back to the test's savepoint: the tables are empty again

    again = await seed_demo(session, count=30, seed=7)

    assert again.skipped is False
    assert len(first) == 30
    assert await _national_ids(session) == first
