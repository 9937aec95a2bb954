"""/api/v1/facilities/{facility_id}/closed-days: the days a facility holds no sessions (public
holidays and its own closed days), which generating sessions skips."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status

from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.facilities import service as facilities
from veteran_care.kit.i18n import Message
from veteran_care.kit.json_body import JsonBodyRoute
from veteran_care.kit.schemas import Day
from veteran_care.scheduling import calendar, closing
from veteran_care.scheduling.closing_schemas import DayClose, DayClosed
from veteran_care.scheduling.schemas import ClosedDay, ClosedDayIn, ClosedDayList, check_range

router = APIRouter(route_class=JsonBodyRoute, tags=["scheduling"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Writer = Annotated[Actor, allow(Permission.scheduling_write)]
DayPath = Annotated[Day, Path(description="The day, e.g. 2027-02-05.")]
DAYS = "/facilities/{facility_id:uuid}/closed-days"


@router.get(DAYS, summary="List a facility's closed days", responses=problem_responses(404))
async def list_closed_days(
    facility_id: uuid.UUID, date_from: Day, date_to: Day, actor: Reader, session: ReadSession
) -> ClosedDayList:
    """Public holidays (named in Vietnamese) and the facility's own closed days in the range
    (at most a year), by date."""
    check_range(date_from, date_to)
    await facilities.get(session, facility_id, actor)
    days = await calendar.closed_days(session, facility_id, date_from, date_to)
    return ClosedDayList(
        items=[ClosedDay(date=d, kind=kind, reason=why) for d, (kind, why) in sorted(days.items())]
    )


@router.put(
    DAYS + "/{day}", summary="Close a facility on a day", responses=problem_responses(404, 409)
)
async def close_day(
    facility_id: uuid.UUID, day: DayPath, data: ClosedDayIn, actor: Writer, session: WriteSession
) -> ClosedDay:
    """Generating sessions skips the day; closing it again only changes the reason. Refused
    (409 `day-has-sessions`) while the facility holds open sessions on it: cancel them first,
    so that everyone booked is told."""
    await calendar.close_day(session, actor, facility_id, day, data.reason)
    return ClosedDay(date=day, kind="facility", reason=data.reason)


@router.delete(
    DAYS + "/{day}",
    summary="Open a facility's closed day again",
    responses=problem_responses(404),
    status_code=status.HTTP_204_NO_CONTENT,
)
async def reopen_day(
    facility_id: uuid.UUID, day: DayPath, actor: Writer, session: WriteSession
) -> None:
    """404 when the facility had not closed that day (a public holiday cannot be opened)."""
    if not await calendar.reopen_day(session, actor, facility_id, day):
        raise calendar.NotClosed(
            Message("The facility is not closed on {day}.", day=f"{day:%d/%m/%Y}")
        )


@router.post(
    "/facilities/{facility_id:uuid}/day-closures",
    summary="Close a booked day: everyone booked moved to the next day with places, or cancelled",
    responses=problem_responses(404),
)
async def close_booked_day(
    facility_id: uuid.UUID, data: DayClose, actor: Writer, session: WriteSession
) -> DayClosed:
    """One transaction: the day's sessions are cancelled; with `bookings: move` each checkup
    booked on the day is moved to the next day on which all its specialties have places (the
    same facility; public holidays and the facility's closed days skipped) and told by the
    reschedule notice with the new day; with `bookings: cancel`, or when a person cannot be
    moved (listed in `not_moved` with why), they are cancelled and told, or left booked with
    `unmovable: leave` (their session is then closed, not cancelled). Then the day is closed
    as `PUT .../closed-days/{day}` closes it (decision 0051)."""
    return await closing.close_day(
        session, actor, facility_id, data.date, data.reason, data.bookings, data.unmovable
    )
