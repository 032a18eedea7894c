"""The practitioner's planning: my on-call afternoons (list and month), the free-slot times
of a future shift, absences and preferences, my calendar link, and shift swaps."""

import calendar
import re
from datetime import date, datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.availability import service as availability
from app.availability.schemas import AbsenceCreate, PreferenceCreate
from app.clock import NowDep
from app.db import SessionDep
from app.errors import DomainError, NotFound
from app.feeds.models import FeedKind
from app.feeds.service import feed_links, issue_practitioner_feed
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.practitioners.models import Practitioner
from app.rotations import swaps
from app.rotations.models import Shift, SwapStatus
from app.rotations.oncall import published_shifts
from app.rotations.swap_schemas import SwapOfferCreate
from app.slots import service as slots
from app.slots.models import SlotStatus
from app.tenancy import get_owned
from app.types import EntityId
from app.web.deps import PageRoute, PractitionerPage, SignedForm, WebUser
from app.web.forms import FormErrors, parse_model, text
from app.web.templating import render
from app.web.views import practitioners_by_id, zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ALL = PageParams(limit=MAX_PAGE_SIZE, offset=0)
TIME = re.compile(r"^([01]?\d|2[0-3])[:h ]?([0-5]\d)?$")


def _me(session: Session, user: WebUser) -> Practitioner:
    assert user.principal.practitioner_id is not None  # PractitionerPage guarantees it
    return availability.reachable_practitioner(
        session, principal=user.principal, practitioner_id=user.principal.practitioner_id
    )


def _month(value: str | None, today: date) -> date:
    found = MONTH.match(value or "")
    if found and 2000 <= int(found.group(1)) <= 2100 and 1 <= int(found.group(2)) <= 12:
        return date(int(found.group(1)), int(found.group(2)), 1)
    return today.replace(day=1)


def _shifts_between(session: Session, *, user: WebUser, start: date, end: date) -> list[Shift]:
    query = published_shifts(user.principal.cpts_id).where(
        Shift.practitioner_id == user.principal.practitioner_id,
        Shift.day >= start,
        Shift.day < end,
    )
    return list(session.scalars(query.order_by(Shift.starts_at)))


def _month_page(session: Session, user: WebUser, now: datetime, month_arg: str | None) -> Any:
    zone = zone_of(session, user.principal.cpts_id)
    first = _month(month_arg, now.astimezone(zone).date())
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    previous = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    shifts = _shifts_between(session, user=user, start=first, end=following)
    by_day: dict[date, list[Shift]] = {}
    for shift in shifts:
        by_day.setdefault(shift.day, []).append(shift)
    return {
        "first": first,
        "previous": previous,
        "following": following,
        "weeks": calendar.Calendar().monthdatescalendar(first.year, first.month),
        "by_day": by_day,
        "shifts": shifts,
        "zone": zone,
        "now": now,
    }


@router.get("/praticien/astreintes")
async def my_shifts(
    request: Request, session: SessionDep, now: NowDep, user: PractitionerPage
) -> HTMLResponse:
    """My on-call afternoons of a month, as a list and as a month grid."""
    month = request.query_params.get("mois")
    context = await run_in_threadpool(_month_page, session, user, now, month)
    return render(request, "shifts.html", context)


def _own_shift(session: Session, user: WebUser, shift_id: int) -> Shift:
    shift = get_owned(session, Shift, shift_id, cpts_id=user.principal.cpts_id)
    if shift.practitioner_id != user.principal.practitioner_id:
        raise NotFound(f"shift {shift_id} not found")
    return shift


def _slot_times_page(
    session: Session, user: WebUser, shift_id: int, *, value: str | None, error: str
) -> dict[str, Any]:
    shift = _own_shift(session, user, shift_id)
    zone = zone_of(session, user.principal.cpts_id)
    in_shift, _ = slots.practitioner_slots(
        session,
        practitioner_id=shift.practitioner_id,
        since=shift.starts_at,
        until=shift.ends_at,
        page=ALL,
    )
    current = [s for s in in_shift if s.shift_id == shift.id]
    shown = ", ".join(f"{s.starts_at.astimezone(zone):%H:%M}" for s in current)
    return {
        "shift": shift,
        "slots": current,
        "value": shown if value is None else value,
        "error": error,
        "zone": zone,
        "booked": SlotStatus.booked.value,
    }


@router.get("/praticien/astreintes/{shift_id}/creneaux")
async def slot_times_form(
    request: Request, session: SessionDep, user: PractitionerPage, shift_id: EntityId
) -> HTMLResponse:
    """The start times of my free slots in one future shift."""
    context = await run_in_threadpool(
        _slot_times_page, session, user, shift_id, value=None, error=""
    )
    return render(request, "slot_times.html", context)


def _parse_times(value: str) -> list[time] | None:
    times = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\s]+(?=\d)", value))):
        found = TIME.match(part)
        if found is None:
            return None
        times.append(time(int(found.group(1)), int(found.group(2) or 0)))
    return times or None


def _set_slot_times(
    request: Request, session: Session, user: WebUser, now: datetime, shift_id: int, form: FormData
) -> Response:
    value = text(form, "starts")
    times = _parse_times(value)
    error = "Indiquez des heures comme 15:00, 15:30, 18:45."
    if times is not None:
        try:
            slots.set_slot_times(
                session, principal=user.principal, shift_id=shift_id, starts=times, now=now
            )
            return RedirectResponse(f"/praticien/astreintes/{shift_id}/creneaux", status_code=303)
        except DomainError as refused:
            if refused.status == 404:
                raise
            session.rollback()
            error = (
                "Chaque créneau doit tenir dans l'astreinte, sans chevaucher un autre ni un "
                "créneau déjà réservé, et l'astreinte doit être à venir."
            )
    context = _slot_times_page(session, user, shift_id, value=value, error=error)
    return render(request, "slot_times.html", context, status=422)


@router.post("/praticien/astreintes/{shift_id}/creneaux")
async def set_slot_times(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: PractitionerPage,
    shift_id: EntityId,
    form: SignedForm,
) -> Response:
    """Keep my free slots at the times I chose (booked ones stay)."""
    return await run_in_threadpool(_set_slot_times, request, session, user, now, shift_id, form)


def _availability_page(
    session: Session, user: WebUser, *, values: dict[str, str], errors: FormErrors
) -> dict[str, Any]:
    me = _me(session, user)
    absences, _ = availability.list_absences(
        session, practitioner=me, start=None, end=None, page=ALL
    )
    preferences, _ = availability.list_preferences(session, practitioner=me, page=ALL)
    return {"absences": absences, "preferences": preferences, "values": values, "errors": errors}


@router.get("/praticien/disponibilites")
async def my_availability(
    request: Request, session: SessionDep, user: PractitionerPage
) -> HTMLResponse:
    """My absences and preferences, with the forms to declare new ones."""
    context = await run_in_threadpool(
        _availability_page, session, user, values={}, errors=FormErrors()
    )
    return render(request, "availability.html", context)


AVAILABILITY_MESSAGES = {
    "start_date": "Indiquez le premier jour (jj/mm/aaaa).",
    "end_date": "Indiquez le dernier jour, le premier ou après.",
    "reason": "Le motif fait 200 caractères au plus.",
    "kind": "Choisissez « de préférence » ou « à éviter ».",
    "weekday": "Choisissez un jour de la semaine.",
    "day": "Choisissez un jour de la semaine.",
}
REFUSALS = {
    "start_date": "Cette absence chevauche une absence déjà déclarée.",
    "end_date": "Le dernier jour doit suivre le premier (90 jours au plus par absence).",
}


def _declare(
    request: Request, session: Session, user: WebUser, form: FormData, kind: str
) -> Response:
    errors = FormErrors()
    values = {name: text(form, name) for name in form}
    if kind == "absence":
        data: AbsenceCreate | PreferenceCreate | None = parse_model(
            AbsenceCreate,
            {
                "start_date": values.get("start_date") or None,
                "end_date": values.get("end_date") or None,
                "reason": values.get("reason") or None,
            },
            errors,
            AVAILABILITY_MESSAGES,
        )
    else:
        data = parse_model(
            PreferenceCreate,
            {"kind": values.get("kind") or None, "weekday": values.get("weekday") or None},
            errors,
            AVAILABILITY_MESSAGES,
        )
    if data is not None:
        me = _me(session, user)
        try:
            if isinstance(data, AbsenceCreate):
                availability.create_absence(session, practitioner=me, data=data)
            else:
                availability.create_preference(session, practitioner=me, data=data)
            return RedirectResponse("/praticien/disponibilites", status_code=303)
        except DomainError as refused:
            session.rollback()
            field = refused.field or "start_date"
            errors[field] = REFUSALS.get(field, "Cette préférence existe déjà.")
    context = _availability_page(session, user, values=values, errors=errors)
    return render(request, "availability.html", context, status=422)


@router.post("/praticien/absences")
async def declare_absence(
    request: Request, session: SessionDep, user: PractitionerPage, form: SignedForm
) -> Response:
    """Declare days on which I cannot be on call."""
    return await run_in_threadpool(_declare, request, session, user, form, "absence")


@router.post("/praticien/preferences")
async def declare_preference(
    request: Request, session: SessionDep, user: PractitionerPage, form: SignedForm
) -> Response:
    """Declare a weekday I prefer, or would rather avoid."""
    return await run_in_threadpool(_declare, request, session, user, form, "preference")


@router.get("/praticien/agenda")
def calendar_page(request: Request, user: PractitionerPage) -> HTMLResponse:
    """How to subscribe to my on-call afternoons in my calendar app."""
    return render(request, "calendar_link.html", {"links": None})


@router.post("/praticien/agenda")
async def new_calendar_link(
    request: Request, session: SessionDep, now: NowDep, user: PractitionerPage, _form: SignedForm
) -> HTMLResponse:
    """Issue my calendar link (the previous one stops working), shown once."""
    assert user.principal.practitioner_id is not None
    _, secret = await run_in_threadpool(
        issue_practitioner_feed,
        session,
        principal=user.principal,
        practitioner_id=user.principal.practitioner_id,
        now=now,
    )
    base = request.app.state.settings.public_base_url
    https, webcal = feed_links(base, kind=FeedKind.practitioner, secret=secret)
    return render(request, "calendar_link.html", {"links": {"https": https, "webcal": webcal}})


def _swaps_page(session: Session, user: WebUser, now: datetime, error: str) -> dict[str, Any]:
    me = _me(session, user)
    zone = zone_of(session, user.principal.cpts_id)
    offers, _ = swaps.list_offers(session, principal=user.principal, page=ALL)
    shifts = {
        s.id: s
        for s in session.scalars(select(Shift).where(Shift.id.in_({o.shift_id for o in offers})))
    }
    offers = [o for o in offers if shifts[o.shift_id].starts_at > now or o.offered_by == me.id]
    colleagues = practitioners_by_id(
        session, cpts_id=user.principal.cpts_id, ids=(o.offered_by for o in offers)
    )
    live = {
        o.shift_id for o in offers if o.status in (SwapStatus.open, SwapStatus.pending_approval)
    }
    mine = [
        s
        for s in _shifts_between(
            session, user=user, start=now.astimezone(zone).date(), end=date.max
        )
        if s.starts_at > now and s.id not in live
    ]
    return {
        "practitioner": me,
        "offers": offers,
        "shifts": shifts,
        "colleagues": colleagues,
        "mine": mine,
        "zone": zone,
        "error": error,
        "open": SwapStatus.open.value,
    }


@router.get("/praticien/echanges")
async def my_swaps(
    request: Request, session: SessionDep, now: NowDep, user: PractitionerPage
) -> HTMLResponse:
    """Offer one of my shifts to colleagues, or take one they offer."""
    context = await run_in_threadpool(_swaps_page, session, user, now, "")
    return render(request, "swaps.html", context)


SWAP_REFUSAL = (
    "Échange impossible : il enfreindrait une règle d'astreinte (repos, nombre maximal "
    "d'astreintes, absence) ou l'astreinte n'est plus à venir."
)


def _swap_step(
    request: Request,
    session: Session,
    user: WebUser,
    now: datetime,
    form: FormData,
    offer_id: int | None,
) -> Response:
    try:
        if offer_id is None:
            shift_id = text(form, "shift_id")
            data = SwapOfferCreate(
                shift_id=int(shift_id) if shift_id.isdigit() and len(shift_id) < 10 else 0,
                note=text(form, "note")[:500] or None,
            )
            swaps.offer_shift(session, principal=user.principal, data=data, now=now)
        else:
            swaps.accept_offer(session, principal=user.principal, offer_id=offer_id, now=now)
        return RedirectResponse("/praticien/echanges", status_code=303)
    except DomainError as refused:
        if refused.status == 404:
            raise
        session.rollback()
    context = _swaps_page(session, user, now, SWAP_REFUSAL)
    return render(request, "swaps.html", context, status=409)


@router.post("/praticien/echanges")
async def offer_shift(
    request: Request, session: SessionDep, now: NowDep, user: PractitionerPage, form: SignedForm
) -> Response:
    """Offer one of my future shifts to colleagues of my profession."""
    return await run_in_threadpool(_swap_step, request, session, user, now, form, None)


@router.post("/praticien/echanges/{offer_id}/accepter")
async def accept_offer(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: PractitionerPage,
    offer_id: EntityId,
    form: SignedForm,
) -> Response:
    """Take a colleague's offered shift (it moves at once, or after the coordinator's
    approval where the CPTS asks for it)."""
    return await run_in_threadpool(_swap_step, request, session, user, now, form, offer_id)
