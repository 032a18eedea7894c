"""HTTP routes for slots: the pharmacist's search, a practitioner's own slots."""

from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from app.auth import CurrentUser, Principal
from app.clock import NowDep
from app.competences.schemas import InseeCode
from app.cpts.models import Cpts
from app.db import SessionDep
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep
from app.practitioners.service import get_practitioner_for
from app.professions import Profession
from app.ratelimits.deps import budgeted_caller
from app.ratelimits.limiter import Family
from app.slots import service
from app.slots.models import Slot
from app.slots.schemas import ConsultationMode, SlotOffer, SlotPublic, SlotTimes
from app.slots.search import MAX_WITHIN_HOURS, SlotQuery, search_slots
from app.types import CalendarDate, EntityId
from app.users.models import Role

router = APIRouter(prefix="/v1", tags=["slots"])
JSON = "application/json"

Searcher = Annotated[
    Principal,
    Depends(budgeted_caller(Family.search, Role.pharmacist, Role.practitioner, Role.coordinator)),
]


def parse_near(near: str | None) -> tuple[float, float] | None:
    """``near`` ('latitude,longitude') as a position; 422 naming ``near`` when malformed."""
    if near is None:
        return None
    try:
        latitude, longitude = (float(part) for part in near.split(","))
    except ValueError:
        raise RuleViolation(
            "near must be 'latitude,longitude', e.g. 45.69,4.88", field="near"
        ) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise RuleViolation("near is outside valid latitude/longitude ranges", field="near")
    return latitude, longitude


class SlotSearch(BaseModel):
    """What a search asks for, in its query string."""

    profession: Profession | None = None
    within_hours: int = Field(24, ge=1, le=MAX_WITHIN_HOURS, description="Hours ahead")
    same_day: bool = Field(False, description="Only slots before midnight, the CPTS's time")
    sector_id: EntityId | None = None
    near: str | None = Field(None, description="latitude,longitude")
    mode: ConsultationMode | None = None
    competence_id: EntityId | None = Field(
        None, description="Practitioners declaring this competence"
    )
    equipment_id: EntityId | None = Field(
        None, description="Practitioners declaring this equipment"
    )
    commune: InseeCode | None = Field(
        None, description="The patient's commune (INSEE code): home visits covering it"
    )


@router.get(
    "/slots",
    summary="Find open slots (pharmacist, referring practitioner)",
    response_model=Page[SlotOffer],
    responses=error_responses(RuleViolation),
)
async def find_slots(
    request: Request,
    user: Searcher,
    now: NowDep,
    page: PageDep,
    search: Annotated[SlotSearch, Query()],
) -> Response:
    """Open slots from now + minimum notice up to ``within_hours`` (or the end of today with
    ``same_day``), by start time then distance from ``near`` or the caller's pharmacy.

    ``competence_id`` and ``equipment_id`` keep practitioners who declare them. A home-visit
    search (``mode=home_visit``, implied by ``commune``) given the patient's ``commune`` or
    position ``near`` only offers practitioners whose zone covers it: the commune listed, or
    the position within their radius of the practice.

    Runs on the event loop: answered from the process's snapshot of open slots (see
    ``app.slots.search``), a search costs no worker thread and no database round trip."""
    query = SlotQuery(
        profession=search.profession.value if search.profession else None,
        within_hours=search.within_hours,
        same_day=search.same_day,
        sector_id=search.sector_id,
        near=parse_near(search.near),
        mode=ConsultationMode.home_visit
        if search.commune is not None and search.mode is None
        else search.mode,
        competence_id=search.competence_id,
        equipment_id=search.equipment_id,
        commune=search.commune,
    )
    if query.commune is not None and query.mode != ConsultationMode.home_visit:
        raise RuleViolation("a patient's commune is for home-visit searches", field="commune")
    found = await search_slots(
        request.app.state.session_factory,
        cache=request.app.state.open_slots,
        cpts_id=user.cpts_id,
        query=query,
        page=page,
        now=now,
        pharmacy_id=user.pharmacy_id,
    )
    # The snapshot holds each offer serialised: assemble the page, skip FastAPI's validation.
    body = (
        f'{{"items":{found.items_json()},"total":{found.total},'
        f'"limit":{page.limit},"offset":{page.offset}}}'
    )
    return Response(body, media_type=JSON)


def _slot_public(slot: Slot, zone: ZoneInfo, now: datetime) -> SlotPublic:
    return SlotPublic(
        id=slot.id,
        shift_id=slot.shift_id,
        practitioner_id=slot.practitioner_id,
        profession=slot.profession,
        sector_id=slot.sector_id,
        starts_at=slot.starts_at.astimezone(zone),
        ends_at=slot.ends_at.astimezone(zone),
        status=slot.status,
        expired=slot.status == "open" and slot.starts_at <= now,
    )


@router.get(
    "/practitioners/{practitioner_id}/slots",
    summary="List a practitioner's slots",
    response_model=Page[SlotPublic],
    responses=error_responses(NotFound, Forbidden),
)
def list_practitioner_slots(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    page: PageDep,
    practitioner_id: EntityId,
    day_from: Annotated[CalendarDate | None, Query(alias="from")] = None,
    day_to: Annotated[CalendarDate | None, Query(alias="to")] = None,
) -> Page[SlotPublic]:
    """A practitioner's slots (themself or the coordinator), default the next 7 days."""
    get_practitioner_for(session, principal=user, practitioner_id=practitioner_id)
    zone = ZoneInfo(session.get_one(Cpts, user.cpts_id).timezone)
    first = day_from or now.astimezone(zone).date()
    last = day_to or first + timedelta(days=7)
    rows, total = service.practitioner_slots(
        session,
        practitioner_id=practitioner_id,
        since=datetime.combine(first, time(), zone),
        until=datetime.combine(last + timedelta(days=1), time(), zone),
        page=page,
    )
    items = [_slot_public(slot, zone, now) for slot in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def _set_blocked(
    session: SessionDep, user: Principal, now: datetime, slot_id: int, *, blocked: bool
) -> SlotPublic:
    slot = service.set_blocked(session, principal=user, slot_id=slot_id, blocked=blocked, now=now)
    zone = ZoneInfo(session.get_one(Cpts, user.cpts_id).timezone)
    return _slot_public(slot, zone, now)


@router.post(
    "/slots/{slot_id}/block",
    summary="Take a free slot back",
    response_model=SlotPublic,
    responses=error_responses(NotFound, Forbidden, Conflict),
)
def block_slot(
    session: SessionDep, user: CurrentUser, now: NowDep, slot_id: EntityId
) -> SlotPublic:
    """Take a future open slot back (its practitioner, or the coordinator)."""
    return _set_blocked(session, user, now, slot_id, blocked=True)


@router.post(
    "/slots/{slot_id}/reopen",
    summary="Offer a blocked slot again",
    response_model=SlotPublic,
    responses=error_responses(NotFound, Forbidden, Conflict),
)
def reopen_slot(
    session: SessionDep, user: CurrentUser, now: NowDep, slot_id: EntityId
) -> SlotPublic:
    """Offer a blocked future slot again (its practitioner, or the coordinator)."""
    return _set_blocked(session, user, now, slot_id, blocked=False)


@router.put(
    "/shifts/{shift_id}/slots",
    summary="Choose when a shift's free slots start",
    response_model=list[SlotPublic],
    responses=error_responses(NotFound, Forbidden, Conflict, RuleViolation),
)
def set_slot_times(
    session: SessionDep, user: CurrentUser, now: NowDep, shift_id: EntityId, data: SlotTimes
) -> list[SlotPublic]:
    """Choose when the free slots of one's own future shift start (local times); booked
    slots stay, the others move to the chosen times (practitioner, or the coordinator)."""
    slots = service.set_slot_times(
        session, principal=user, shift_id=shift_id, starts=data.starts, now=now
    )
    zone = ZoneInfo(session.get_one(Cpts, user.cpts_id).timezone)
    return [_slot_public(slot, zone, now) for slot in slots]
