"""A beneficiary's health over the years: checkups with results, classification, latest vitals."""

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.clinical.schemas import (
    VITALS,
    ConclusionRead,
    LatestValue,
    Timeline,
    TimelineCheckup,
    TimelinePastCheck,
)
from veteran_care.clinical.views import result_read
from veteran_care.models import (
    Checkup,
    CheckupConclusion,
    ExaminationResult,
    PastCheck,
    PastCheckStatus,
    ResultAmendment,
    ResultStatus,
)


async def _past_checks(
    session: AsyncSession, beneficiary_id: uuid.UUID, latest: dict[str, LatestValue]
) -> list[PastCheck]:
    """The person's checks done before go-live, newest first (withdrawn ones left out); their
    vitals update `latest` where they are newer."""
    stmt = (
        select(PastCheck)
        .where(
            PastCheck.beneficiary_id == beneficiary_id,
            PastCheck.status != PastCheckStatus.entered_in_error,
        )
        .order_by(PastCheck.date.desc(), PastCheck.id)
    )
    checks = list((await session.scalars(stmt)).all())
    for check in checks:
        for name in (*VITALS, "bmi"):
            value = getattr(check, name)
            seen = latest.get(name)
            if value is not None and (seen is None or seen.measured_on < check.date):
                latest[name] = LatestValue(value=value, measured_on=check.date)
    return checks


async def timeline(session: AsyncSession, actor: Actor, beneficiary_id: uuid.UUID) -> Timeline:
    await beneficiaries.get(session, beneficiary_id, actor)
    principal = actor.require()
    stmt = select(Checkup).where(Checkup.beneficiary_id == beneficiary_id)
    if principal.scope is not None:
        stmt = stmt.where(Checkup.facility_id.in_(principal.scope))
    checkups = list((await session.scalars(stmt.order_by(Checkup.date.desc(), Checkup.id))).all())
    ids = [c.id for c in checkups]
    results = (
        await session.scalars(
            select(ExaminationResult)
            .where(ExaminationResult.checkup_id.in_(ids))
            .options(selectinload(ExaminationResult.diagnoses))
            .order_by(ExaminationResult.specialty_code)
        )
    ).all()
    amendments: dict[uuid.UUID, list[ResultAmendment]] = defaultdict(list)
    for amendment in (
        await session.scalars(
            select(ResultAmendment)
            .where(ResultAmendment.result_id.in_([r.id for r in results]))
            .order_by(ResultAmendment.id)
        )
    ).all():
        amendments[amendment.result_id].append(amendment)
    conclusions = {
        c.checkup_id: c
        for c in (
            await session.scalars(
                select(CheckupConclusion).where(CheckupConclusion.checkup_id.in_(ids))
            )
        ).all()
    }
    by_checkup: dict[uuid.UUID, list[ExaminationResult]] = defaultdict(list)
    for result in results:
        by_checkup[result.checkup_id].append(result)
    date_of = {c.id: c.date for c in checkups}
    latest: dict[str, LatestValue] = {}
    for checkup in checkups:  # newest first: the first value seen is the latest
        for result in by_checkup[checkup.id]:
            if result.status == ResultStatus.entered_in_error:
                continue
            for name in (*VITALS, "bmi"):
                value: Any = getattr(result, name)
                if value is not None and name not in latest:
                    latest[name] = LatestValue(
                        value=value if isinstance(value, Decimal | int) else Decimal(str(value)),
                        measured_on=date_of[checkup.id],
                    )
    past = await _past_checks(session, beneficiary_id, latest)
    classes = [
        (date_of[cid], conclusions[cid].health_class.value, False) for cid in conclusions
    ] + [(p.date, p.health_class.value, True) for p in past]
    await audit.record(
        session,
        actor,
        "read",
        resource_type="health_timeline",
        resource_id=beneficiary_id,
        beneficiary_id=beneficiary_id,
    )
    return Timeline(
        beneficiary_id=beneficiary_id,
        checkups=[
            TimelineCheckup(
                checkup_id=c.id,
                date=c.date,
                facility_id=c.facility_id,
                status=c.status.value,
                conclusion=ConclusionRead.model_validate(conclusions[c.id])
                if c.id in conclusions
                else None,
                results=[result_read(r, amendments[r.id]) for r in by_checkup[c.id]],
            )
            for c in checkups
        ],
        past_checks=[
            TimelinePastCheck(
                past_check_id=p.id,
                date=p.date,
                facility_id=p.facility_id,
                place=p.place,
                health_class=p.health_class,
            )
            for p in past
        ],
        classifications=[
            {"date": day.isoformat(), "health_class": health_class, "historical": historical}
            for day, health_class, historical in sorted(classes, key=lambda c: c[0])
        ],
        latest_vitals=latest,
    )
