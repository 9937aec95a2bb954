"""A nation-sized registry for ``scale.py``: people with Vietnamese names at their real
frequencies, spread over the reference table's communes, with categories, cards and past checks.

Names: the Kinh are most of the people with merit, and among them Nguyễn alone is about 38 %
of the people (then Trần 11 %, Lê 9.5 %, Phạm 7 %, ...); the Thái of the north-west carry Lò,
Quàng, Cà, Lường, Vì, Tòng; the Mông Giàng, Sùng, Vàng, Thào; the Tày and Mường their own.
Middle names: Văn for most men, Thị for most women. Rows come in chunks, as dicts of the
models' columns, so that either database can take them (COPY on PostgreSQL, executemany on
SQLite)."""

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from veteran_care.kit.text import fold

# (weight, families with weights, male middles, female middles, male given, female given)
KINH_FAMILIES = {
    "Nguyễn": 380, "Trần": 110, "Lê": 95, "Phạm": 70, "Hoàng": 51, "Phan": 45, "Vũ": 39,
    "Đặng": 21, "Bùi": 20, "Đỗ": 14, "Hồ": 13, "Ngô": 13, "Dương": 10, "Lý": 5, "Đinh": 8,
    "Trương": 6, "Đào": 5, "Đoàn": 5, "Lương": 4, "Mai": 4, "Tạ": 3, "Cao": 3, "Hà": 4,
    "Tô": 2, "Lâm": 2, "Chu": 2, "Quách": 1, "Kiều": 1, "Thái": 1, "Triệu": 1,
}  # fmt: skip
KINH_MALE_MIDDLES = {
    "Văn": 40, "Đức": 8, "Hữu": 7, "Minh": 6, "Quang": 6, "Đình": 6, "Xuân": 5, "Ngọc": 4,
    "Công": 4, "Thanh": 4, "Mạnh": 2, "Tiến": 2, "Trọng": 2, "Thế": 2, "Anh": 2,
}  # fmt: skip
KINH_FEMALE_MIDDLES = {"Thị": 80, "Ngọc": 5, "Thu": 4, "Thanh": 4, "Kim": 3, "Bích": 2, "Hồng": 2}
KINH_MALE_GIVEN = (
    "An|Anh|Bình|Bảo|Cường|Chiến|Công|Dũng|Duy|Đạt|Đông|Đức|Giang|Hà|Hải|Hiếu|Hòa|Hoàng|Hùng|"
    "Huy|Hưng|Khánh|Khoa|Kiên|Lâm|Long|Lợi|Minh|Nam|Nghĩa|Ngọc|Phong|Phú|Phúc|Phương|Quang|"
    "Quân|Quý|Sơn|Tài|Tâm|Tân|Thái|Thắng|Thành|Thanh|Thịnh|Thuận|Tiến|Toàn|Trung|Tú|Tuấn|Tùng|"
    "Việt|Vinh|Vũ|Xuân"
)
KINH_FEMALE_GIVEN = (
    "An|Anh|Bích|Châu|Chi|Dung|Duyên|Giang|Hà|Hạnh|Hằng|Hiền|Hoa|Hồng|Huệ|Hương|Lan|Liên|Linh|"
    "Loan|Mai|Minh|Nga|Ngọc|Nhung|Oanh|Phương|Quyên|Quỳnh|Tâm|Thảo|Thu|Thủy|Trang|Tuyết|Vân|Yến"
)


@dataclass(frozen=True)
class Group:
    ethnicity: str
    weight: int
    families: dict[str, int]
    male_middles: dict[str, int]
    female_middles: dict[str, int]
    male_given: str
    female_given: str


def _even(names: str) -> dict[str, int]:
    return dict.fromkeys(names.split("|"), 1)


GROUPS = [
    Group(
        "01",
        860,
        KINH_FAMILIES,
        KINH_MALE_MIDDLES,
        KINH_FEMALE_MIDDLES,
        KINH_MALE_GIVEN,
        KINH_FEMALE_GIVEN,
    ),
    Group(
        "03",
        45,
        {"Lò": 30, "Quàng": 18, "Cà": 14, "Lường": 14, "Vì": 10, "Tòng": 8, "Điêu": 4, "Bạc": 2},
        {"Văn": 1},
        {"Thị": 1},
        "Pâng|Ún|Xôm|Chăn|Khăm|Phóng|Ỏn|Xiến|Inh|Panh|Thanh|Đôi|Ngọc|Tiến|Hặc",
        "Un|Xuân|Ín|Pọm|Bua|Ên|Lả|Ọn|Phiêng",
    ),
    Group(
        "02",
        30,
        {"Hoàng": 25, "Nông": 25, "Ma": 10, "Lục": 8, "Lương": 8, "Đàm": 6, "Triệu": 6},
        {"Văn": 8, "Đức": 1},
        {"Thị": 1},
        "Thiện|Hùng|Quyết|Tiến|Thắng|Kim|Chung|Tuân",
        "Lâm|Nhàn|Thơ|Mến|Dần",
    ),
    Group(
        "06",
        30,
        {"Bùi": 40, "Đinh": 25, "Quách": 15, "Hà": 10, "Cao": 5},
        {"Văn": 1},
        {"Thị": 1},
        "Khương|Lựu|Tám|Chiến|Cường|Thìn",
        "Nguyệt|Mơ|Thiết|Lụa",
    ),
    Group(
        "08",
        20,
        _even("Giàng|Sùng|Vàng|Thào|Mùa|Lý|Hờ|Cứ|Lầu|Tráng"),
        {"A": 3, "Seo": 1, "Chứ": 1},
        {"Thị": 1},
        "Páo|Dình|Chớ|Súa|Lử|Tông|Dế|Chư|Pó|Sử|Dơ|Khua",
        "Mỷ|Dợ|Súa|Pà|Mai|Chở|Dua",
    ),
    Group(
        "09",
        10,
        _even("Lý|Tẩn|Chảo|Đặng|Bàn|Phàn"),
        {"Văn": 2, "Láo": 1, "Seo": 1},
        {"Thị": 2, "Mý": 1},
        "Quẩy|Chòi|Phin|Chiêu|Vảng",
        "Mẩy|Nải",
    ),
    Group("29", 5, {"Quàng": 3, "Lò": 2, "Vì": 2}, {"Văn": 1}, {"Thị": 1}, "Tạ|Chóm", "Ón"),
]

# Categories present in every registry (the first migration's); others the table holds are
# given a small share each.
CATEGORY_WEIGHTS = {"veteran": 60, "wounded-soldier": 20, "sick-soldier": 8}
PRIMARY_CARE = ["11001", "11002", "11003", "11004", "11005", "11010", "11020"]


@dataclass
class Chunk:
    people: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    past_checks: list[dict[str, Any]] = field(default_factory=list)


class Registry:
    """Deterministic rows (a seed) for ``size`` people over ``communes``, on ``today``."""

    def __init__(self, communes: list[str], categories: list[str], today: date, seed: int = 24):
        self.rng = random.Random(seed)
        self.today = today
        self.now = datetime.now(UTC)
        # A few big communes and many small ones, as a province's are.
        self.communes = communes
        self.commune_weights = [1 + (i % 7) ** 2 for i in range(len(communes))]
        self.categories = categories
        self.category_weights = [CATEGORY_WEIGHTS.get(code, 2) for code in categories]
        self.folded: dict[str, str] = {}

    def _pick(self, options: dict[str, int]) -> str:
        return self.rng.choices(list(options), list(options.values()))[0]

    def name(self) -> tuple[str, bool, str]:
        group = self.rng.choices(GROUPS, [g.weight for g in GROUPS])[0]
        female = self.rng.random() < 0.15
        middles = group.female_middles if female else group.male_middles
        given = (group.female_given if female else group.male_given).split("|")
        parts = [self._pick(group.families), self._pick(middles), self.rng.choice(given)]
        if self.rng.random() < 0.06:  # some Kinh names carry two middle names
            parts.insert(2, self._pick(KINH_MALE_MIDDLES if not female else KINH_FEMALE_MIDDLES))
        return " ".join(parts), female, group.ethnicity

    def search_key(self, full_name: str) -> str:
        key = self.folded.get(full_name)
        if key is None:
            key = self.folded[full_name] = fold(full_name)
        return key

    def person(self, serial: int, chunk: Chunk) -> None:
        rng = self.rng
        full_name, female, ethnicity = self.name()
        year = rng.randint(1930, 1975)
        born = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
        person_id = uuid.uuid4()
        status = "active" if rng.random() < 0.93 else "deceased"
        chunk.people.append(
            {
                "id": person_id,
                "full_name": full_name,
                "name_search": self.search_key(full_name),
                "birth_date": born if rng.random() < 0.8 else None,
                "birth_year": year,
                "sex": "female" if female else "male",
                "ethnicity_code": ethnicity,
                "national_id": f"0{serial % 96 + 1:02d}{int(female)}{year % 100:02d}{serial:06d}",
                "national_id_type": "cccd",
                "bhxh_number": f"{serial:010d}" if rng.random() < 0.9 else None,
                "phone": f"09{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.6 else None,
                "commune_code": rng.choices(self.communes, self.commune_weights)[0],
                "address_line": f"Thôn {rng.randint(1, 30)}",
                "legacy_district": None,
                "registered_facility_id": None,
                "status": status,
                "date_of_death": date(2020, 1, 1) if status == "deceased" else None,
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            }
        )
        self._categories(person_id, chunk)
        self._card(person_id, serial, chunk)
        self._past_check(person_id, chunk)

    def _categories(self, person_id: uuid.UUID, chunk: Chunk) -> None:
        codes = {self.rng.choices(self.categories, self.category_weights)[0]}
        if self.rng.random() < 0.15:
            codes.add(self.rng.choices(self.categories, self.category_weights)[0])
        for code in sorted(codes):
            rated = code in ("wounded-soldier", "sick-soldier")
            rate = self.rng.randint(41, 100) if rated else None
            chunk.memberships.append(
                {
                    "beneficiary_id": person_id,
                    "category_code": code,
                    "disability_rate": rate,
                    "recognition_date": None,
                }
            )

    def _card(self, person_id: uuid.UUID, serial: int, chunk: Chunk) -> None:
        if self.rng.random() >= 0.9:
            return
        start = date(self.today.year, 1, 1)
        chunk.cards.append(
            {
                "id": uuid.uuid4(),
                "beneficiary_id": person_id,
                "number": f"CC4{11}{serial:010d}"[:15],
                "number_format": "legacy-15",
                "object_code": "CC",
                "benefit_level": 1,
                "province_code": "11",
                "bhxh_number": f"{serial:010d}",
                "valid_from": start,
                "valid_to": date(self.today.year, 12, 31),
                "registration_facility_code": self.rng.choice(PRIMARY_CARE),
                "status": "active",
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            }
        )

    def _past_check(self, person_id: uuid.UUID, chunk: Chunk) -> None:
        """Two in three people checked in the last two years (so about half are due)."""
        if self.rng.random() >= 0.67:
            return
        chunk.past_checks.append(
            {
                "id": uuid.uuid4(),
                "beneficiary_id": person_id,
                "date": self.today - timedelta(days=self.rng.randint(20, 730)),
                "facility_id": None,
                "place": "Trạm y tế xã",
                "health_class": self.rng.choice(["I", "II", "III", "IV", "V"]),
                "diagnoses": [],
                "status": "final",
                "source": "import",
                "recorded_by": None,
                "error_reason": None,
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            }
        )

    def chunks(self, size: int, chunk_size: int = 50_000) -> Iterator[Chunk]:
        for start in range(0, size, chunk_size):
            chunk = Chunk()
            for serial in range(start, min(size, start + chunk_size)):
                self.person(serial, chunk)
            yield chunk
