"""The practitioner's day on a phone: today's referred patients (record the outcome once the
slot has begun), my slots of today and tomorrow (block or reopen), my next afternoons."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.clock import NowDep
from app.db import SessionDep, writes_on_read
from app.errors import Forbidden, NotFound
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.referrals import service as referrals
from app.referrals.referrers import referrer_names
from app.referrals.schemas import Outcome
from app.rotations.models import Shift
from app.rotations.oncall import published_shifts
from app.slots import service as slots
from app.types import EntityId
from app.web.deps import PageRoute, PractitionerPage, SignedForm, WebUser
from app.web.templating import render
from app.web.views import local_day, todays_referrals, zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NEXT_SHIFTS = 10


def _practitioner_id(user: WebUser) -> int:
    if user.principal.practitioner_id is None:
        raise Forbidden("this page is for practitioners")
    return user.principal.practitioner_id


def _next_shifts(session: Session, user: WebUser, *, now: datetime) -> list[Shift]:
    query = published_shifts(user.principal.cpts_id).where(
        Shift.practitioner_id == user.principal.practitioner_id, Shift.ends_at > now
    )
    return list(session.scalars(query.order_by(Shift.starts_at).limit(NEXT_SHIFTS)))


def _day_page(session: Session, user: WebUser, now: datetime) -> dict[str, Any]:
    practitioner_id = _practitioner_id(user)
    zone = zone_of(session, user.principal.cpts_id)
    today_start, _ = local_day(now, zone)
    patients = todays_referrals(session, principal=user.principal, now=now, zone=zone)
    referrers = referrer_names(session, patients)
    _, two_days_end = local_day(now, zone, days=2)
    my_slots, _ = slots.practitioner_slots(
        session,
        practitioner_id=practitioner_id,
        since=today_start,
        until=two_days_end,
        page=PageParams(limit=MAX_PAGE_SIZE, offset=0),
    )
    return {
        "patients": patients,
        "referrers": referrers,
        "slots": my_slots,
        "shifts": _next_shifts(session, user, now=now),
        "zone": zone,
        "now": now,
    }


@router.get("/praticien")
@writes_on_read
async def my_day(
    request: Request, session: SessionDep, now: NowDep, user: PractitionerPage
) -> HTMLResponse:
    """Today's patients, my slots, my next on-call afternoons."""
    context = await run_in_threadpool(_day_page, session, user, now)
    return render(request, "practitioner.html", context)


@router.post("/praticien/orientations/{referral_id}/{outcome}")
async def record_outcome(
    session: SessionDep,
    now: NowDep,
    user: PractitionerPage,
    referral_id: EntityId,
    outcome: Outcome,
    _form: SignedForm,
) -> Response:
    """The patient was seen, or did not come."""
    await run_in_threadpool(
        referrals.record_outcome,
        session,
        principal=user.principal,
        referral_id=referral_id,
        outcome=outcome,
        now=now,
    )
    return RedirectResponse("/praticien", status_code=303)


@router.post("/praticien/creneaux/{slot_id}/{action}")
async def block_or_reopen(
    session: SessionDep,
    now: NowDep,
    user: PractitionerPage,
    slot_id: EntityId,
    action: str,
    _form: SignedForm,
) -> Response:
    """Block (take back) or reopen one of my future slots."""
    if action not in ("bloquer", "rouvrir"):
        raise NotFound(f"unknown action {action}")
    await run_in_threadpool(
        slots.set_blocked,
        session,
        principal=user.principal,
        slot_id=slot_id,
        blocked=action == "bloquer",
        now=now,
    )
    return RedirectResponse("/praticien", status_code=303)
