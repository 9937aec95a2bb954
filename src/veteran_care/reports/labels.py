"""What an officer reads in place of a code: the names of communes, categories, facilities and
ethnic groups, months as 12/2026, and the Vietnamese name of each grouping. The codes stay in
the JSON, CSV and XLSX (they are the contract); the charts show the names."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.models import Facility
from veteran_care.reference import repository as reference
from veteran_care.reports.queries import NO_CATEGORY

GROUP_NAMES = {
    "commune": "xã, phường",
    "facility": "cơ sở khám",
    "category": "đối tượng",
    "sex": "giới tính",
    "ethnicity": "dân tộc",
    "age_band": "nhóm tuổi",
    "month": "tháng",
}
_SEXES = {"male": "Nam", "female": "Nữ", "other": "Khác", "unknown": "Không rõ"}


async def names(session: AsyncSession, group: str) -> Mapping[str, str]:
    """Code -> name for a grouping's values (empty when its values are read as they are)."""
    if group == "commune":
        return {c.code: c.name for c in await reference.communes(session, None)}
    if group == "category":
        found = {c.code: c.name_vi for c in await reference.categories(session)}
        return found | {NO_CATEGORY: "Không thuộc đối tượng nào"}
    if group == "ethnicity":
        return {g.code: g.name for g in await reference.ethnic_groups(session)}
    if group == "facility":
        rows = (await session.execute(select(Facility.id, Facility.name))).all()
        return {str(facility_id): name for facility_id, name in rows}
    if group == "sex":
        return _SEXES
    return {}


def label(group: str, value: Any, known: Mapping[str, str]) -> str:
    """The name of a grouping's value, with its code beside it where the code means something."""
    if value is None:
        return "(không rõ)"
    if group == "month":
        return f"{int(value) % 100:02d}/{int(value) // 100}"
    name = known.get(str(value))
    if name is None or group in ("sex", "facility"):
        return name or str(value)
    return f"{name} ({value})" if group != "category" or value != NO_CATEGORY else name


def period(date_from: date | None, date_to: date | None, campaign: str | None) -> str:
    """The period in words, for a chart's or a sheet's title block."""
    parts = []
    if date_from and date_to:
        parts.append(f"từ {date_from:%d/%m/%Y} đến {date_to:%d/%m/%Y}")
    elif date_from:
        parts.append(f"từ {date_from:%d/%m/%Y}")
    elif date_to:
        parts.append(f"đến {date_to:%d/%m/%Y}")
    if campaign:
        parts.append(f"đợt khám {campaign}")
    return ", ".join(parts) or "toàn bộ thời gian"
