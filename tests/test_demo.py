from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.demo import DemoSummary, seed_demo
from veteran_care.demo_activity import SPECIALTIES, STOCK, next_27_july
from veteran_care.kit.clock import today
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    Facility,
    InsuranceCard,
    Role,
)
from veteran_care.scheduling.calendar import public_holidays

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


async def test_the_demo_can_book_dispense_and_plan_a_drive_at_once(
    client_for: Any, session: AsyncSession
) -> None:
    """After `serve --demo` the desk has something to work with (issue 29): the provincial
    hospital's four specialties with a week of sessions, stock of common medicines, and the
    27 July campaign."""
    summary = await seed_demo(session, count=30)
    await session.commit()
    client: httpx.AsyncClient = await client_for(*Role)
    week = [today() + timedelta(days=n) for n in range(7)]
    holidays = public_holidays(week[0], week[-1])
    open_days = [d for d in week if d not in holidays]  # no sessions on a public holiday
    slots = sum(2 if d.isoweekday() <= 5 else 1 for d in open_days)  # mornings, weekday pm
    expected = (4, 4 * slots, 8, 1)
    assert (summary.services, summary.sessions, summary.lots, summary.campaigns) == expected
    hospital = await session.scalar(select(Facility).where(Facility.code == "11001"))
    assert hospital is not None

    sessions = (
        await client.get(
            "/api/v1/sessions",
            params={"facility_id": str(hospital.id), "date_from": week[0], "date_to": week[-1]},
        )
    ).json()["items"]
    assert {s["specialty_code"] for s in sessions} == set(SPECIALTIES)
    assert {s["date"] for s in sessions} == {d.isoformat() for d in open_days}

    person = await session.scalar(
        select(Beneficiary)
        .join(InsuranceCard, InsuranceCard.beneficiary_id == Beneficiary.id)
        .where(
            Beneficiary.status == BeneficiaryStatus.active,
            InsuranceCard.valid_from <= today(),
            InsuranceCard.valid_to >= today() + timedelta(days=7),
        )
        .limit(1)
    )
    assert person is not None
    booked = await client.post(
        "/api/v1/checkups",
        json={
            "beneficiary_id": str(person.id),
            "facility_id": str(hospital.id),
            "date": week[1].isoformat(),
            "specialty_codes": list(SPECIALTIES),
        },
    )
    assert booked.status_code == 201, booked.text

    stock = (await client.get(f"/api/v1/facilities/{hospital.id}/stock")).json()
    assert {m["medicine_code"] for m in stock["medicines"]} == set(STOCK)
    assert all(m["on_hand"] > 0 for m in stock["medicines"])
    dispensed = await client.post(
        "/api/v1/dispenses",
        json={
            "beneficiary_id": str(person.id),
            "facility_id": str(hospital.id),
            "medicine_id": stock["medicines"][0]["medicine_id"],
            "quantity": 10,
            "dosage_instructions": "Ngày uống 2 lần, mỗi lần 1 viên",
            "days_of_supply": 5,
        },
    )
    assert dispensed.status_code == 201, dispensed.text

    drives = (await client.get("/api/v1/campaigns")).json()["items"]
    assert [c["name"] for c in drives] == [
        f"Khám sức khỏe định kỳ 27/7/{next_27_july(today()).year}"
    ]
    assert drives[0]["ends_on"].endswith("-07-27")
    assert drives[0]["ends_on"] >= today().isoformat()
