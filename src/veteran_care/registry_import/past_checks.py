"""The last check of an import row (`ngay_kham_gan_nhat`, `phan_loai_suc_khoe`, `noi_kham`),
recorded as a past check by the API's rules (`history.schemas`, `history.rules`): a day not
in the future nor before the person's birth, a health class I-V (or 1-5), a place that is one
of our facilities' codes or words. A person's past check of that day already stored is kept
as it is: importing a file twice records it once."""

import json
import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from veteran_care.history.rules import date_problem, place_problem, stored_vitals
from veteran_care.history.schemas import PastCheckCreate
from veteran_care.kit.clock import today
from veteran_care.kit.i18n import Message
from veteran_care.models import HealthClass, PastCheck, PastCheckSource, PastCheckStatus
from veteran_care.registry_import.bulk import one_of
from veteran_care.registry_import.row_errors import schema_message

DAY, CLASS, PLACE = "last_check_date", "last_check_health_class", "last_check_place"
COLUMNS: dict[str, tuple[str, ...]] = {
    DAY: ("ngay_kham_gan_nhat", "ngay_kham"),
    CLASS: ("phan_loai_suc_khoe", "phan_loai"),
    PLACE: ("noi_kham", "noi_kham_gan_nhat"),
}
_FIELD_COLUMN = {"date": DAY, "health_class": CLASS, "place": PLACE, "facility_id": PLACE}
_CLASSES = {str(n): c for n, c in enumerate(HealthClass, 1)} | {c.value: c for c in HealthClass}

Problem = tuple[str, str]  # (column, message)
_NO_VITALS = stored_vitals({})  # an import row's past check records no vitals


def health_class(text: str) -> HealthClass | None:
    """I-V, or 1-5 ("loại II" and "Loại 2" too); None when it is neither."""
    word = text.strip().upper().removeprefix("LOẠI").removeprefix("LOAI").strip()
    return _CLASSES.get(word)


def place(text: str, facilities: dict[str, uuid.UUID]) -> dict[str, Any]:
    """A facility code of ours, or the place in words."""
    facility = facilities.get(text.strip().upper())
    return {"facility_id": facility} if facility is not None else {"place": text.strip()}


def past_check(
    given: dict[str, Any], birth_date: date | None, birth_year: int, died_on: date | None = None
) -> PastCheckCreate | list[Problem] | None:
    """The row's last check (None when its cells are empty), or what is wrong with it."""
    if not given:
        return None
    problems: list[Problem] = []
    if DAY not in given:
        problems.append((DAY, Message("the day of the last check is missing")))
    if CLASS not in given:
        problems.append(
            (CLASS, Message("the health class of the last check is missing (I-V or 1-5)"))
        )
    if PLACE not in given:
        problems.append((PLACE, Message("where the last check was done is missing")))
    if problems:
        return problems
    values = {"date": given[DAY], "health_class": given[CLASS], **given[PLACE]}
    try:
        data = PastCheckCreate.model_validate(values)
    except ValidationError as exc:
        return [
            (_FIELD_COLUMN.get(str(e["loc"][0]), DAY) if e["loc"] else DAY, schema_message(e))
            for e in exc.errors()
        ]
    problem = date_problem(data.date, today(), birth_date, birth_year, died_on) or place_problem(
        data.facility_id, data.place
    )
    if problem is not None:
        return [(_FIELD_COLUMN[problem[0]], problem[1])]
    return data


def values(
    beneficiary_id: uuid.UUID, data: PastCheckCreate, actor_id: uuid.UUID | None, now: datetime
) -> dict[str, Any]:
    """The past_checks row of an import row's last check."""
    return {
        "id": uuid.uuid4(),
        "beneficiary_id": beneficiary_id,
        "date": data.date,
        "facility_id": data.facility_id,
        "place": data.place,
        "health_class": data.health_class,
        **_NO_VITALS,
        "diagnoses": [],
        "status": PastCheckStatus.final,
        "source": PastCheckSource.import_,
        "recorded_by": actor_id,
        "error_reason": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


async def new_ones(
    connection: AsyncConnection,
    rows: Sequence[dict[str, Any]],
    postgresql: bool,
    created: Collection[uuid.UUID] = (),
) -> list[dict[str, Any]]:
    """The rows whose person has no past check of that day yet (withdrawn ones aside); on
    PostgreSQL with the diagnoses as JSON text, as COPY takes them. The people of ``created``
    were registered in this transaction: they have none, and are not looked up."""
    if not rows:
        return []
    people = list({row["beneficiary_id"] for row in rows} - set(created))
    stored: set[tuple[uuid.UUID, date]] = set()
    if people:  # their past checks, by the index on the person (one statement on PostgreSQL)
        stmt = select(PastCheck.beneficiary_id, PastCheck.date).where(
            one_of(PastCheck.beneficiary_id, people, postgresql),
            PastCheck.status != PastCheckStatus.entered_in_error,
        )
        stored = {(person, day) for person, day in (await connection.execute(stmt)).all()}
    fresh = [row for row in rows if (row["beneficiary_id"], row["date"]) not in stored]
    if postgresql:
        fresh = [row | {"diagnoses": json.dumps(row["diagnoses"])} for row in fresh]
    return fresh
