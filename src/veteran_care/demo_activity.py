"""The demo's working week at the provincial hospital: its four specialties with a timetable,
a week of sessions from today, stock of the common medicines, and the next 27 July campaign,
so that booking, dispensing and bulk scheduling can be tried right after `serve --demo`.

Everything goes through the domain services, as the rest of the demo data. The caller commits.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.principal import Actor
from veteran_care.kit.clock import add_days, today
from veteran_care.models import Facility, PartOfDay
from veteran_care.pharmacy import repository as pharmacy_repository
from veteran_care.pharmacy import service as pharmacy
from veteran_care.pharmacy.schemas import ReceiptIn
from veteran_care.scheduling import campaigns, sessions
from veteran_care.scheduling.campaign_schemas import CampaignCreate
from veteran_care.scheduling.schemas import ServiceCreate, SessionGenerate, Slot

# The four examinations of the periodic check, each with a capacity per half day.
SPECIALTIES = {
    "internal-medicine": 40,
    "ultrasound": 25,
    "electrocardiography": 25,
    "ophthalmology": 30,
}
WEEK_DAYS = 7
# Every morning (the weekend ones for the drives), afternoons from Monday to Friday.
TIMETABLE = [Slot(weekday=d, part_of_day=PartOfDay.morning) for d in range(1, 8)] + [
    Slot(weekday=d, part_of_day=PartOfDay.afternoon) for d in range(1, 6)
]
# Common medicines of the catalogue (the migration's codes): units received, one lot each.
STOCK = {
    "AMOX500": 2000,
    "PARA500": 5000,
    "IBUP400": 2000,
    "MELO7.5": 1000,
    "CLOR0.4": 300,
    "NATR0.9": 300,
    "VIT3B": 3000,
    "CALD3": 3000,
}
SPONSOR = "Hội Chữ thập đỏ tỉnh Điện Biên (tài trợ đợt 27/7)"
CATEGORIES = ["veteran", "wounded-soldier", "sick-soldier", "former-youth-volunteer"]


@dataclass(frozen=True)
class DemoActivity:
    services: int
    sessions: int
    lots: int
    campaigns: int


def next_27_july(on: date) -> date:
    """27 July of this year, or of the next once it has passed."""
    this_year = date(on.year, 7, 27)
    return this_year if this_year >= on else date(on.year + 1, 7, 27)


async def seed_activity(
    session: AsyncSession, actor: Actor, hospital: Facility, facilities: list[Facility]
) -> DemoActivity:
    """The hospital's services and week of sessions, its stock, and the campaign (held at the
    hospital and at the regional medical centres in ``facilities``)."""
    start = today()
    for code, capacity in SPECIALTIES.items():
        data = ServiceCreate(specialty_code=code, timetable=TIMETABLE, default_capacity=capacity)
        await sessions.create_service(session, actor, hospital.id, data)
    created, _, _ = await sessions.generate(
        session,
        actor,
        SessionGenerate(
            facility_id=hospital.id, date_from=start, date_to=add_days(start, WEEK_DAYS - 1)
        ),
    )
    expiry = date(start.year + 2, 12, 31)
    for code, quantity in STOCK.items():
        medicine = await pharmacy_repository.medicine_by_code(session, code)
        if medicine is None:  # pragma: no cover - the catalogue comes with the migrations
            raise LookupError(f"medicine {code} is not in the catalogue")
        receipt = ReceiptIn(
            medicine_id=medicine.id,
            lot_number=f"DEMO-{code}-{start.year}",
            expiry_date=expiry,
            quantity=quantity,
            supplier=SPONSOR,
        )
        await pharmacy.receive(session, actor, hospital.id, receipt)
    day = next_27_july(start)
    drive = CampaignCreate(
        name=f"Khám sức khỏe định kỳ 27/7/{day.year}",
        starts_on=max(add_days(day, -7), start),
        ends_on=day,
        facility_ids=[f.id for f in facilities],
        target_categories=CATEGORIES,
        specialty_codes=list(SPECIALTIES),
    )
    await campaigns.create(session, actor, drive)
    return DemoActivity(services=len(SPECIALTIES), sessions=created, lots=len(STOCK), campaigns=1)
