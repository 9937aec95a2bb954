"""The outcome stored on each checkup (what the attendance reports count) stays equal to the one
derived from its appointments through every status change: booking, bulk scheduling, check-in,
results, cancellations (appointment, checkup, session), rescheduling, no-shows, entered in error."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.scheduling.conftest import book, day, make_clinic, person_with_card
from veteran_care.auth.principal import system_actor
from veteran_care.kit.clock import today
from veteran_care.models import Appointment, Checkup, CheckupOutcome, Role, Session
from veteran_care.scheduling import booking, lifecycle
from veteran_care.scheduling.lifecycle import checkup_outcome

# The outcome as the reports derived it before it was stored: an aggregate of the appointments
# in SQL, independent of lifecycle.checkup_outcome.
DERIVED = text(
    """
    SELECT c.id, c.outcome AS stored,
      CASE
        WHEN o.checkup_id IS NULL THEN NULL
        WHEN o.attended = 1 THEN 'attended'
        WHEN o.noshow = 1 THEN 'noshow'
        WHEN o.booked = 1 THEN 'pending'
        WHEN o.by_patient = 1 THEN 'cancelled_by_patient'
        ELSE 'cancelled_by_facility'
      END AS derived
    FROM checkups c
    LEFT JOIN (
      SELECT checkup_id,
        max(CASE WHEN status IN ('checked-in', 'fulfilled') THEN 1 ELSE 0 END) AS attended,
        max(CASE WHEN status = 'noshow' THEN 1 ELSE 0 END) AS noshow,
        max(CASE WHEN status = 'booked' THEN 1 ELSE 0 END) AS booked,
        max(CASE WHEN status = 'cancelled' AND cancelled_by = 'patient' THEN 1 ELSE 0 END)
          AS by_patient
      FROM appointments WHERE status <> 'entered-in-error' GROUP BY checkup_id
    ) o ON o.checkup_id = c.id
    """
)


observed: set[str | None] = set()  # every outcome the steps below went through


async def outcomes(session: AsyncSession) -> dict[str, str | None]:
    """Every checkup's stored outcome, after checking that it equals the derived one."""
    rows = (await session.execute(DERIVED)).all()
    differ = [(r.id, r.stored, r.derived) for r in rows if r.stored != r.derived]
    assert not differ, differ
    observed.update(r.stored for r in rows)
    return {str(uuid.UUID(str(r.id))): r.stored for r in rows}


async def _to_the_past(session: AsyncSession, checkup: dict[str, Any], days: int) -> None:
    past = today() - timedelta(days=days)
    sessions = [uuid.UUID(a["session_id"]) for a in checkup["appointments"]]
    ids = uuid.UUID(checkup["id"])
    await session.execute(update(Session).where(Session.id.in_(sessions)).values(date=past))
    await session.execute(
        update(Appointment).where(Appointment.checkup_id == ids).values(date=past)
    )
    await session.execute(update(Checkup).where(Checkup.id == ids).values(date=past))
    await session.commit()


async def test_stored_outcome_follows_every_status_change(
    client: httpx.AsyncClient, client_for: Any, session: AsyncSession
) -> None:
    observed.clear()
    clinic = await make_clinic(client, capacity=5, days=6, specialties=["ultrasound", "x-ray"])
    clinician = await client_for(Role.clinician)
    both = ["ultrasound", "x-ray"]

    async def new(when: int, specialties: list[str] = both) -> dict[str, Any]:
        response = await book(
            client, clinic, await person_with_card(client), day(when), specialties
        )
        assert response.status_code == 201, response.text
        checkup: dict[str, Any] = response.json()
        return checkup

    async def post(url: str, body: dict[str, Any] | None = None, code: int = 200) -> Any:
        response = await client.post(url, json=body)
        assert response.status_code == code, response.text
        return response.json()

    def apt(checkup: dict[str, Any], specialty: str) -> str:
        return next(a["id"] for a in checkup["appointments"] if a["specialty_code"] == specialty)

    # Booked today; checked in; one examination fulfilled by its result, the other cancelled.
    a = await new(0)
    assert (await outcomes(session))[a["id"]] == "pending"
    await post(f"/api/v1/checkups/{a['id']}/check-in")
    assert (await outcomes(session))[a["id"]] == "attended"
    result = await clinician.post(
        f"/api/v1/appointments/{apt(a, 'ultrasound')}/result", json={"findings": "Bình thường"}
    )
    assert result.status_code == 201, result.text
    await post(
        f"/api/v1/appointments/{apt(a, 'x-ray')}/cancel",
        {"cancelled_by": "patient", "reason": "Về sớm"},
    )
    assert (await outcomes(session))[a["id"]] == "attended"
    # The fulfilled examination was entered in error: only the patient's cancellation is left.
    await post(
        f"/api/v1/appointments/{apt(a, 'ultrasound')}/status",
        {"status": "entered-in-error", "reason": "Nhầm người"},
    )
    assert (await outcomes(session))[a["id"]] == "cancelled_by_patient"

    # Partly cancelled by the patient (still pending), then the rest by the facility.
    b = await new(2)
    await post(
        f"/api/v1/appointments/{apt(b, 'x-ray')}/cancel", {"cancelled_by": "patient", "reason": "x"}
    )
    assert (await outcomes(session))[b["id"]] == "pending"
    await post(f"/api/v1/checkups/{b['id']}/cancel", {"cancelled_by": "facility", "reason": "y"})
    assert (await outcomes(session))[b["id"]] == "cancelled_by_patient"

    # Rescheduled by the facility: the old one is cancelled by it, the new one pending.
    c = await new(2)
    moved = await post(
        f"/api/v1/checkups/{c['id']}/reschedule",
        {"date": day(4), "reason": "Máy hỏng", "cancelled_by": "facility"},
        code=201,
    )
    seen = await outcomes(session)
    assert (seen[c["id"]], seen[moved["id"]]) == ("cancelled_by_facility", "pending")

    # A cancelled session cancels its appointments (by the facility).
    d = await new(3, ["x-ray"])
    await post(
        f"/api/v1/sessions/{d['appointments'][0]['session_id']}/cancel", {"reason": "Tập huấn"}
    )
    assert (await outcomes(session))[d["id"]] == "cancelled_by_facility"

    # No-shows: through the API, and through the function the CLI's mark-noshows calls.
    e = await new(1)
    await _to_the_past(session, e, 2)
    await post("/api/v1/appointments/mark-noshows", {"facility_id": clinic["id"]})
    assert (await outcomes(session))[e["id"]] == "noshow"
    f = await new(1, ["ultrasound"])
    await _to_the_past(session, f, 3)
    await booking.mark_noshows(session, system_actor("cli"), None, uuid.UUID(clinic["id"]))
    await session.commit()
    assert (await outcomes(session))[f["id"]] == "noshow"
    g = await new(1, ["x-ray"])
    await _to_the_past(session, g, 4)
    await post(f"/api/v1/appointments/{apt(g, 'x-ray')}/status", {"status": "noshow"})
    assert (await outcomes(session))[g["id"]] == "noshow"

    # Entered in error: one of two leaves the other's outcome; all of them leave none.
    h = await new(2)
    await post(f"/api/v1/appointments/{apt(h, 'x-ray')}/status", {"status": "entered-in-error"})
    assert (await outcomes(session))[h["id"]] == "pending"
    await post(
        f"/api/v1/appointments/{apt(h, 'ultrasound')}/status", {"status": "entered-in-error"}
    )
    assert (await outcomes(session))[h["id"]] is None
    assert (await client.get(f"/api/v1/checkups/{h['id']}")).json()["status"] == "entered-in-error"

    # Bulk scheduling books pending checkups.
    campaign = await post(
        "/api/v1/campaigns",
        {
            "name": "Khám định kỳ 27/7",
            "starts_on": day(5),
            "ends_on": day(6),
            "facility_ids": [clinic["id"]],
            "target_categories": ["veteran"],
            "specialty_codes": both,
        },
        code=201,
    )
    commune = "03349"
    await person_with_card(client, commune_code=commune)
    bulk = await post(
        f"/api/v1/campaigns/{campaign['id']}/bulk-schedule",
        {"facility_id": clinic["id"], "commune_codes": [commune]},
    )
    assert bulk["booked"]
    seen = await outcomes(session)
    assert {seen[x["checkup_id"]] for x in bulk["booked"]} == {"pending"}
    assert observed == {None, *(o.value for o in CheckupOutcome)}


def test_the_rules_in_python() -> None:
    """lifecycle.checkup_outcome on hand-made appointments (no database)."""
    from veteran_care.models import AppointmentStatus as S
    from veteran_care.models import CancelledBy

    def outcome(*statuses: tuple[S, CancelledBy | None]) -> str | None:
        """In the order they were last changed (a minute apart)."""
        start = datetime(2027, 7, 27, 7, tzinfo=UTC)
        made = [
            Appointment(status=s, cancelled_by=by, updated_at=start + timedelta(minutes=n))
            for n, (s, by) in enumerate(statuses)
        ]
        found = checkup_outcome(made)
        return None if found is None else found.value

    patient, facility = CancelledBy.patient, CancelledBy.facility
    assert outcome() is None
    assert outcome((S.entered_in_error, None)) is None
    assert outcome((S.checked_in, None), (S.noshow, None)) == "attended"
    assert outcome((S.cancelled, patient), (S.fulfilled, None)) == "attended"
    assert outcome((S.noshow, None), (S.booked, None)) == "noshow"
    assert outcome((S.booked, None), (S.cancelled, patient)) == "pending"
    # Several cancellations: the first decides.
    assert outcome((S.cancelled, facility), (S.cancelled, patient)) == "cancelled_by_facility"
    assert outcome((S.cancelled, patient), (S.cancelled, facility)) == "cancelled_by_patient"
    assert outcome((S.cancelled, facility), (S.entered_in_error, None)) == "cancelled_by_facility"
    assert lifecycle.checkup_status([]) == "entered-in-error"
