"""Where the demo data lives: Điện Biên, drawn by hand (its facilities, its 45 communes by the
district they were in before July 2025, its villages), or any other province served, drawn
from the reference table (a provincial hospital, a military infirmary, two medical centres and
three commune health stations in its own communes)."""

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import FacilityLevel
from veteran_care.reference import repository as reference
from veteran_care.reference.service import province_title

_L = FacilityLevel
Facilities = list[tuple[str, str, FacilityLevel, str]]  # code, name, level, commune


@dataclass(frozen=True)
class DemoPlace:
    province_code: str
    facilities: Facilities
    communes: list[str]
    wards: frozenset[str]
    villages: str
    district_of: dict[str, str] = field(default_factory=dict)
    legacy_id_prefix: str = ""  # the old 9-digit CMND's series

    @property
    def first_facility(self) -> str:
        return self.facilities[0][0]


DIEN_BIEN_FACILITIES: Facilities = [
    ("11001", "Bệnh viện Đa khoa tỉnh Điện Biên", _L.provincial_hospital, "03127"),
    ("11002", "Trung tâm Y tế Tuần Giáo", _L.regional_medical_centre, "03253"),
    ("11003", "Trung tâm Y tế Mường Chà", _L.regional_medical_centre, "03166"),
    ("11004", "Trung tâm Y tế Tủa Chùa", _L.regional_medical_centre, "03217"),
    ("11005", "Trung tâm Y tế Mường Nhé", _L.regional_medical_centre, "03160"),
    ("11006", "Trung tâm Y tế Mường Ảng", _L.regional_medical_centre, "03256"),
    ("11007", "Bệnh xá Quân y Bộ Chỉ huy Quân sự tỉnh Điện Biên", _L.military_hospital, "03334"),
    ("11008", "Trạm Y tế xã Mường Phăng", _L.commune_health_station, "03325"),
    ("11009", "Trạm Y tế xã Thanh Nưa", _L.commune_health_station, "03328"),
    ("11010", "Trạm Y tế xã Na Sang", _L.commune_health_station, "03172"),
]
# The 45 communes and wards (codes from the registry migration), by the district they were in
# before the July 2025 reform.
DIEN_BIEN_DISTRICTS: dict[str, list[str]] = {
    "Thành phố Điện Biên Phủ": ["03127", "03334", "03325", "03316"],
    "Thị xã Mường Lay": ["03151"],
    "Huyện Mường Nhé": ["03158", "03160", "03162", "03163", "03164"],
    "Huyện Nậm Pồ": ["03169", "03175", "03176", "03199"],
    "Huyện Mường Chà": ["03166", "03172", "03181", "03193", "03194"],
    "Huyện Tủa Chùa": ["03217", "03220", "03226", "03241", "03244"],
    "Huyện Tuần Giáo": ["03253", "03260", "03268", "03283", "03295"],
    "Huyện Mường Ảng": ["03256", "03301", "03313"],
    "Huyện Điện Biên": ["03202", "03328", "03349", "03352", "03356", "03358", "03368"],
    "Huyện Điện Biên Đông": ["03203", "03208", "03214", "03370", "03382", "03385"],
}
VILLAGES = "Na Sang|Pá Khoang|Huổi Phạ|Nà Nọi|Co Mận|Him Lam|Hua Ca|Tà Lèng|Nậm Ngám|Pú Vạ"

DIEN_BIEN = DemoPlace(
    province_code="11",
    facilities=DIEN_BIEN_FACILITIES,
    communes=sorted(code for codes in DIEN_BIEN_DISTRICTS.values() for code in codes),
    wards=frozenset({"03127", "03151", "03334"}),
    villages=VILLAGES,
    district_of={code: name for name, codes in DIEN_BIEN_DISTRICTS.items() for code in codes},
    legacy_id_prefix="04",  # Lai Châu's series, which Điện Biên's people were issued
)


async def demo_place(session: AsyncSession, province_code: str) -> DemoPlace:
    """The demo's place in a province served (its communes must be in the reference table)."""
    if province_code == DIEN_BIEN.province_code:
        return DIEN_BIEN
    communes = await reference.communes(session, [province_code])
    if not communes:
        raise ValueError(f"there is no province with code {province_code}")
    title = province_title(communes[0].province_name)
    wards = [c for c in communes if c.division_type == "phường"] or communes
    rural = [c for c in communes if c.division_type != "phường"] or communes
    p = province_code
    infirmary = f"Bệnh xá Quân y Bộ Chỉ huy Quân sự {title}"
    facilities: Facilities = [
        (f"{p}001", f"Bệnh viện Đa khoa {title}", _L.provincial_hospital, wards[0].code),
        (f"{p}002", infirmary, _L.military_hospital, wards[-1].code),
    ]
    for number, commune in enumerate(rural[:2], start=3):
        place = commune.name.removeprefix("Xã ").removeprefix("Đặc khu ")
        level = _L.regional_medical_centre
        facilities.append((f"{p}{number:03d}", f"Trung tâm Y tế {place}", level, commune.code))
    for number, commune in enumerate(rural[2:5], start=5):
        name = f"Trạm Y tế {commune.name[0].lower()}{commune.name[1:]}"
        facilities.append((f"{p}{number:03d}", name, _L.commune_health_station, commune.code))
    return DemoPlace(
        province_code=p,
        facilities=facilities,
        communes=[c.code for c in communes],
        wards=frozenset(c.code for c in wards if c.division_type == "phường"),
        villages="Bản Mới|Bản Cũ|Bản Trung|Bản Na|Bản Pa|Thôn Trên|Thôn Dưới|Thôn Giữa",
    )
