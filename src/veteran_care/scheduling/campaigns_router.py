"""/api/v1/campaigns, bulk scheduling and the due list."""

import uuid
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from veteran_care.audit import service as audit
from veteran_care.auth.dependencies import allow
from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries import service as beneficiaries
from veteran_care.db.session import ReadSession, WriteSession
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.clock import today
from veteran_care.kit.etag import sends_etag, set_etag
from veteran_care.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from veteran_care.models import Campaign
from veteran_care.scheduling import campaigns, repository
from veteran_care.scheduling.campaign_schemas import (
    BulkResult,
    BulkSchedule,
    CampaignCreate,
    CampaignRead,
    CategoryCode,
    CommuneCode,
    DueEntry,
    DueStatus,
)
from veteran_care.scheduling.checkup_schemas import CheckupRead
from veteran_care.scheduling.checkups_router import checkup_read
from veteran_care.scheduling.due import DueFilters, due_page, person_due

router = APIRouter(route_class=IdempotentRoute, tags=["campaigns"])

Reader = Annotated[Actor, allow(Permission.scheduling_read)]
Writer = Annotated[Actor, allow(Permission.scheduling_write)]
IdempotentWriter = Annotated[Actor, idempotent(Permission.scheduling_write)]
LongRunningWriter = Annotated[Actor, idempotent(Permission.scheduling_write, long_running=True)]


def campaign_read(campaign: Campaign) -> CampaignRead:
    return CampaignRead(
        id=campaign.id,
        name=campaign.name,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        facility_ids=[f.facility_id for f in campaign.facilities],
        target_categories=campaign.target_categories,
        specialty_codes=campaign.specialties,
        sponsor=campaign.sponsor,
        version=campaign.version,
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
    )


@router.post(
    "/campaigns",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a campaign (đợt khám): dates, facilities, target categories, specialties",
    responses=problem_responses(),
)
async def create_campaign(
    data: CampaignCreate, actor: IdempotentWriter, session: WriteSession, response: Response
) -> CampaignRead:
    campaign = await campaigns.create(session, actor, data)
    set_etag(response, campaign.version)
    response.headers["Location"] = f"/api/v1/campaigns/{campaign.id}"
    return campaign_read(campaign)


@router.get("/campaigns", summary="List campaigns (newest first)", responses=problem_responses())
async def list_campaigns(
    actor: Reader,
    session: ReadSession,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[CampaignRead]:
    principal = actor.require()
    rows, next_cursor = await repository.list_campaigns(
        session,
        principal.scope,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[campaign_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/campaigns/{campaign_id:uuid}",
    summary="Read a campaign",
    responses=problem_responses(404) | sends_etag(),
)
async def get_campaign(
    campaign_id: uuid.UUID, actor: Reader, session: ReadSession, response: Response
) -> CampaignRead:
    campaign = await campaigns.get(session, actor, campaign_id)
    set_etag(response, campaign.version)
    return campaign_read(campaign)


@router.get(
    "/campaigns/{campaign_id:uuid}/checkups",
    summary="The campaign's checkups, with their statuses",
    responses=problem_responses(404),
)
async def list_campaign_checkups(
    campaign_id: uuid.UUID,
    actor: Reader,
    session: WriteSession,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[CheckupRead]:
    await campaigns.get(session, actor, campaign_id)
    principal = actor.require()
    rows, next_cursor = await repository.list_checkups(
        session,
        scope=principal.scope,
        facility_id=None,
        beneficiary_id=None,
        campaign_id=campaign_id,
        status=None,
        date_from=None,
        date_to=None,
        sort="date",
        cursor=cursor,
        limit=limit,
    )
    await audit.record(session, actor, "search", resource_type="checkup", resource_id=campaign_id)
    return Page(items=[checkup_read(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/campaigns/{campaign_id:uuid}/bulk-schedule",
    summary="Book the due people of chosen communes and categories into the campaign",
    description=(
        "Each person is booked into the earliest campaign day where every specialty of the "
        "check has a place, never twice in one campaign (re-running books only those not yet "
        "booked). Work is committed in chunks as it goes."
    ),
    responses=problem_responses(404),
)
async def bulk_schedule(
    campaign_id: uuid.UUID, data: BulkSchedule, actor: LongRunningWriter, request: Request
) -> BulkResult:
    booked, not_booked = await campaigns.bulk_schedule(
        request.app.state.sessionmaker, actor, campaign_id, data
    )
    return BulkResult(booked=booked, not_booked=not_booked)


@router.get(
    "/due-list",
    summary="Who is due (or overdue) for a periodic check",
    description=(
        "Active people with no fulfilled check within their categories' interval (the "
        "shortest counts) and none booked ahead. `overdue`: past the grace period, or never "
        "checked."
    ),
    responses=problem_responses(),
)
async def due_list(
    actor: Reader,
    session: WriteSession,
    commune_code: Annotated[list[CommuneCode] | None, Query(max_length=100)] = None,
    category: Annotated[list[CategoryCode] | None, Query(max_length=10)] = None,
    registered_facility_id: uuid.UUID | None = None,
    status: Literal["due", "overdue"] = "due",
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[DueEntry]:
    principal = actor.require()
    filters = DueFilters(
        commune_codes=commune_code or (),
        categories=category or (),
        registered_facility_id=registered_facility_id,
        scope=principal.scope,
        provinces=principal.province_codes,
        overdue_only=status == "overdue",
    )
    rows, next_cursor = await due_page(session, today(), filters, cursor=cursor, limit=limit)
    await audit.record(
        session, actor, "search", resource_type="due_list", detail=f"{len(rows)} rows"
    )
    return Page(
        items=[
            DueEntry(
                beneficiary_id=r.id,
                full_name=r.full_name,
                commune_code=r.commune_code,
                registered_facility_id=r.registered_facility_id,
                last_checked_on=r.last_checked_on,
                overdue=bool(r.overdue),
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/due-list/{beneficiary_id:uuid}",
    summary="Is this person due for a periodic check: since when, under which category",
    description=(
        "The due list's answer for one person (the same rules as `GET /due-list`), with the "
        "reason when the person is not on it. 404 for a person the caller cannot see."
    ),
    responses=problem_responses(404),
)
async def due_status(beneficiary_id: uuid.UUID, actor: Reader, session: WriteSession) -> DueStatus:
    person = await beneficiaries.read(session, beneficiary_id, actor)
    found = await person_due(session, today(), person)
    return DueStatus(beneficiary_id=person.id, **asdict(found))
