"""Deterministic demo data for the first province served (``demo_places``: Điện Biên by
default): facilities, beneficiaries and their BHYT cards, and the provincial hospital's working
week (``demo_activity``).

Everything goes through the domain services, so every registry rule applies. The caller commits.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.principal import Actor, system_actor
from veteran_care.beneficiaries import contacts
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.beneficiaries.contacts_schemas import ConsentCreate
from veteran_care.beneficiaries.schemas import BeneficiaryCreate, CardCreate, CategoryIn
from veteran_care.demo_activity import seed_activity
from veteran_care.demo_places import demo_place
from veteran_care.facilities import repository as facility_repository
from veteran_care.facilities import service as facilities
from veteran_care.facilities.schemas import FacilityCreate
from veteran_care.identity import service as identity
from veteran_care.identity.schemas import UserCreate
from veteran_care.kit.clock import today
from veteran_care.models import (
    BeneficiaryStatus,
    ConsentStatus,
    ContactChannel,
    Facility,
    FacilityLevel,
    Role,
    Sex,
)
from veteran_care.reference.service import served_provinces


@dataclass(frozen=True)
class Naming:
    """How one ethnic group's names are built: family, middle (male/female), given names."""

    families: str
    male_middles: str
    female_middles: str
    male_given: str
    female_given: str


NAMINGS: dict[str, Naming] = {
    "01": Naming(
        "Nguyễn|Trần|Lê|Phạm|Hoàng|Đặng|Vũ|Bùi|Đỗ|Đinh",
        "Văn|Đức|Hữu|Đình|Quang",
        "Thị",
        "An|Bình|Cường|Dũng|Đức|Hùng|Hải|Lâm|Minh|Nam|Phúc|Quân|Sơn|Thắng|Tiến|Vinh|Đạt",
        "Lan|Hoa|Mai|Hương|Hằng|Nga|Thủy|Đào|Liên|Yến",
    ),
    "03": Naming(
        "Lò|Quàng|Cà|Lường|Tòng|Lù|Điêu|Bạc",
        "Văn",
        "Thị",
        "Pâng|Ún|Xôm|Chăn|Khăm|Phóng|Ỏn|Xiến|Inh|Panh|Thanh|Đôi|Ngọc",
        "Un|Xuân|Ín|Pọm|Bua|Ên|Lả|Ọn",
    ),
    "08": Naming(
        "Giàng|Sùng|Vàng|Thào|Mùa|Lý|Hờ|Cứ|Lầu|Tráng",
        "A|Seo|A|Chứ",
        "Thị",
        "Páo|Dình|Chớ|Súa|Lử|Tông|Dế|Chư|Pó|Sử|Dơ|Khua",
        "Mỷ|Dợ|Súa|Pà|Mai|Chở|Dua",
    ),
    "29": Naming(
        "Quàng|Lò|Cà|Lường|Vì", "Văn", "Thị", "Tạ|Chóm|Pánh|Tiến|Khăm|Hặc", "Ón|Phiêng|Ỏn"
    ),
    "09": Naming(
        "Lý|Tẩn|Chảo|Đặng|Bàn|Phàn", "Văn|Láo|Seo", "Thị|Mý", "Quẩy|Chòi|Phin|Chiêu|Vảng", "Mẩy|Nải"
    ),
    "35": Naming("Lò|Chu|Pờ|Sừ|Ly|Chang", "Văn|Giờ", "Thị", "Hừ|Chừ|Phà|Xe|Gạ", "Xá|Mơ|Pạ"),
    "37": Naming("Lò|Cầm|Lường|Vì", "Văn", "Thị", "Khăm|Bun|Ỏn|Phăn", "Phiên|Bua|Kham"),
}
ETHNIC_WEIGHTS: dict[str, int] = {"03": 35, "08": 30, "01": 20, "29": 5, "09": 4, "35": 3, "37": 3}
# The first people are fixed so that the search demo ("dang", "duc", "giang a pao") finds them.
FEATURED: list[tuple[str, str, Sex]] = [
    ("Đặng Văn Đức", "01", Sex.male),
    ("Đỗ Thị Đào", "01", Sex.female),
    ("Giàng A Páo", "08", Sex.male),
    ("Sùng Thị Mỷ", "08", Sex.female),
    ("Lò Văn Pâng", "03", Sex.male),
    ("Đinh Đức Đạt", "01", Sex.male),
]
DEATH_RANGE = (date(2012, 1, 1), date(2025, 12, 31))


@dataclass(frozen=True)
class DemoSummary:
    facilities: int
    beneficiaries: int
    cards: int
    skipped: bool
    services: int = 0
    sessions: int = 0
    lots: int = 0
    campaigns: int = 0


def _pick(rng: random.Random, options: str) -> str:
    return rng.choice(options.split("|"))


def _name(rng: random.Random, ethnicity: str, sex: Sex) -> str:
    naming = NAMINGS[ethnicity]
    female = sex == Sex.female
    family = _pick(rng, naming.families)
    middle = _pick(rng, naming.female_middles if female else naming.male_middles)
    given = _pick(rng, naming.female_given if female else naming.male_given)
    return f"{family} {middle} {given}"


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


def _unique(rng: random.Random, used: set[str], prefix: str, count: int) -> str:
    while True:
        value = prefix + _digits(rng, count)
        if value not in used:
            used.add(value)
            return value


def _categories(rng: random.Random, sex: Sex, birth_year: int) -> list[CategoryIn]:
    codes: list[str] = []
    if sex == Sex.female:
        codes.append("former-youth-volunteer" if rng.random() < 0.8 else "veteran")
        if rng.random() < 0.1:
            codes.append("sick-soldier")
    else:
        for code, share in (("veteran", 0.7), ("wounded-soldier", 0.25), ("sick-soldier", 0.12)):
            if rng.random() < share:
                codes.append(code)
        if rng.random() < 0.05:
            codes.append("former-youth-volunteer")
        if not codes:
            codes.append("veteran")
    items = []
    for code in codes:
        rate = None
        if code in {"wounded-soldier", "sick-soldier"}:
            low = 21 if code == "wounded-soldier" else 41
            rate = rng.randint(81, 100) if rng.random() < 0.15 else rng.randint(low, 80)
        recognised = None
        if rng.random() < 0.5:
            start = date(max(1975, birth_year + 18), 1, 1)
            recognised = _day_between(rng, start, date(2020, 12, 31))
        items.append(CategoryIn(code=code, disability_rate=rate, recognition_date=recognised))
    return items


def _card_prefix(rng: random.Random, categories: list[CategoryIn]) -> str:
    codes = {c.code for c in categories}
    if codes & {"wounded-soldier", "sick-soldier"}:
        return "CC1"
    if "former-youth-volunteer" in codes:
        return "KC2"
    return "CK2" if rng.random() < 0.2 else "CB2"


# One user per role, with documented passwords (README). Refused in production by the CLI.
DEMO_USERS: list[tuple[str, str, Role, bool]] = [
    ("demo.admin", "Quản trị Demo", Role.admin, True),
    ("demo.scheduler", "Điều phối Demo", Role.scheduler, False),
    ("demo.clinician", "Bác sĩ Demo", Role.clinician, False),
    ("demo.pharmacist", "Dược sĩ Demo", Role.pharmacist, False),
    ("demo.reporter", "Sở Nội vụ Demo", Role.reporter, True),
    ("demo.auditor", "Kiểm tra Demo", Role.auditor, True),
]


def demo_password(role: Role) -> str:
    return f"demo-{role.value}-2027"


async def _demo_users(session: AsyncSession, actor: Actor, hospital: Facility) -> None:
    """Province-wide admin, reporter and auditor; the others work at the provincial hospital."""
    for username, full_name, role, province_wide in DEMO_USERS:
        data = UserCreate(
            username=username,
            full_name=full_name,
            password=demo_password(role),
            roles=[role],
            province_wide=province_wide,
            facility_ids=[] if province_wide else [hospital.id],
        )
        await identity.create_user(session, actor, data)


async def seed_demo(
    session: AsyncSession, *, count: int = 300, seed: int = 2027, province: str | None = None
) -> DemoSummary:
    """Create the demo facilities and `count` beneficiaries with cards in ``province`` (default:
    the first served); flush, never commit.

    Skipped (nothing written) when the province's first demo facility (11001) already exists.
    """
    place = await demo_place(session, province or served_provinces()[0])
    if await facility_repository.id_by_code(session, place.first_facility) is not None:
        return DemoSummary(facilities=0, beneficiaries=0, cards=0, skipped=True)
    rng = random.Random(seed)
    consent_rng = random.Random(seed + 1)  # apart, so that the people stay who they were
    actor = system_actor("seed-demo")
    created: list[Facility] = []
    for code, name, level, commune in place.facilities:
        data = FacilityCreate(code=code, name=name, level=level, commune_code=commune)
        created.append(await facilities.create(session, data, actor))
    await _demo_users(session, actor, created[0])
    by_commune = {f.commune_code: f for f in created}
    this_year = date.today().year
    national_ids: set[str] = set()
    bhxh_numbers: set[str] = set()
    groups, weights = list(ETHNIC_WEIGHTS), list(ETHNIC_WEIGHTS.values())
    cards = 0
    for index in range(count):
        if index < len(FEATURED):
            full_name, ethnicity, sex = FEATURED[index]
        else:
            ethnicity = rng.choices(groups, weights)[0]
            sex = Sex.male if rng.random() < 0.85 else Sex.female
            full_name = _name(rng, ethnicity, sex)
        birth_year = rng.randint(1935, 1965) if sex == Sex.male else rng.randint(1940, 1962)
        birth_date = None
        if rng.random() >= 0.25:
            birth_date = _day_between(rng, date(birth_year, 1, 1), date(birth_year, 12, 31))
        id_kind = rng.random()
        national_id = None
        province = place.province_code
        if id_kind < 0.05:
            series = place.legacy_id_prefix or province
            national_id = _unique(rng, national_ids, series, 9 - len(series))  # legacy CMND
        elif id_kind < 0.95:
            sex_digit = "0" if sex == Sex.male else "1"
            born = f"0{province}{sex_digit}{birth_year % 100:02d}"
            national_id = _unique(rng, national_ids, born, 6)
        has_card = rng.random() < 0.9
        bhxh = _unique(rng, bhxh_numbers, province, 8) if has_card or rng.random() < 0.5 else None
        phone = None
        if rng.random() < 0.6:
            phone = rng.choice(["09", "03"]) + _digits(rng, 8)
        commune = rng.choice(place.communes)
        if commune in place.wards:
            address = f"Tổ dân phố {rng.randint(1, 12)}"
        else:
            address = f"{_pick(rng, place.villages)} {rng.randint(1, 3)}"
        district = place.district_of.get(commune) if rng.random() < 0.2 else None
        facility = by_commune.get(commune) or rng.choice(created)
        categories = _categories(rng, sex, birth_year)
        person = await beneficiaries.create(
            session,
            BeneficiaryCreate(
                full_name=full_name,
                birth_date=birth_date,
                birth_year=birth_year,
                sex=sex,
                ethnicity_code=ethnicity,
                national_id=national_id,
                bhxh_number=bhxh,
                phone=phone,
                commune_code=commune,
                address_line=address,
                legacy_district=district,
                registered_facility_id=facility.id,
                categories=categories,
            ),
            actor,
        )
        if consent_rng.random() < 0.9:  # most agreed to be reminded, at the registration
            channel = ContactChannel.sms if phone else ContactChannel.printed_list
            decision = ConsentCreate(
                status=ConsentStatus.given, decided_on=today(), channel=channel
            )
            await contacts.record_consent(session, actor, person.id, decision)
        fate = rng.random()
        if fate < 0.03:
            end = min(DEATH_RANGE[1], date.today() - timedelta(days=1))
            person.status = BeneficiaryStatus.deceased
            person.date_of_death = _day_between(rng, DEATH_RANGE[0], end)
            await session.flush()
        elif fate < 0.05:
            person.status = BeneficiaryStatus.moved_away
            await session.flush()
        if bhxh is None or not has_card:
            continue
        legacy = f"{_card_prefix(rng, categories)}{province}{bhxh}"
        number = legacy if rng.random() < 0.5 else bhxh
        validity = rng.random()
        if validity < 0.15:  # expired last year, not renewed
            plan = [(this_year - 1, number)]
        elif validity < 0.27:  # an older (legacy-format) card, then the current one
            plan = [(this_year - 1, legacy), (this_year, bhxh)]
        else:
            plan = [(this_year, number)]
        for year, card_number in plan:
            card = CardCreate(
                number=card_number,
                valid_from=date(year, 1, 1),
                valid_to=date(year, 12, 31),
                registration_facility_code=facility.code,
            )
            await beneficiaries.add_card(session, person.id, card, actor)
            cards += 1
    centres = [f for f in created if f.level == FacilityLevel.regional_medical_centre]
    activity = await seed_activity(session, actor, created[0], [created[0], *centres])
    return DemoSummary(
        facilities=len(created),
        beneficiaries=count,
        cards=cards,
        skipped=False,
        services=activity.services,
        sessions=activity.sessions,
        lots=activity.lots,
        campaigns=activity.campaigns,
    )
