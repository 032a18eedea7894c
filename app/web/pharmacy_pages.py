"""The counter page "Orienter un patient": search, book, confirm, cancel — for a
pharmacist, and for a practitioner sending a patient to a colleague (a GP to a physio).

From the page load to the confirmation: "Rechercher", "Choisir", the patient form and
"Confirmer". A slot taken meanwhile brings the form back, filled, with the next three slots.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from anyio import from_thread
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.clock import NowDep
from app.cpts.models import Sector
from app.db import SessionDep, writes_on_read
from app.french import spoken_instant
from app.messaging import service as messaging
from app.pagination import PageParams
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.referrals import booking
from app.referrals import service as referrals
from app.referrals.models import ReasonCategory
from app.referrals.schemas import ReferralCreate
from app.slots.models import Slot
from app.slots.schemas import ConsultationMode, SlotOffer
from app.slots.search import SlotQuery, modes_of, search_slots
from app.tenancy import get_owned, owned
from app.types import EntityId
from app.web.deps import PageRoute, ReferrerPage, SignedForm, WebUser
from app.web.forms import FormErrors, parse_model, patient_values, text
from app.web.templating import render
from app.web.threads import thread_view, unread_now
from app.web.views import practitioners_by_id, todays_referrals, zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

WHEN = {"aujourdhui": "aujourd'hui", "24h": "dans les 24 h"}
ALTERNATIVES = 3
RESULTS = 10
PATIENT_MESSAGES = {
    "display_name": "Indiquez le nom ou les initiales du patient (60 caractères au plus).",
    "birth_year": "Indiquez l'année de naissance (quatre chiffres, 1900 ou après).",
    "phone": "Indiquez un numéro de rappel : 10 chiffres (06 12 34 56 78) ou +33…",
    "reason_category": "Choisissez un motif.",
    "note": "La note fait 280 caractères au plus.",
    "mode": "Ce praticien ne propose pas cette modalité.",
    "slot_id": "Choisissez un créneau.",
}


@dataclass(frozen=True)
class Search:
    """The search form's values, as read from the query string."""

    profession: str = Profession.gp.value
    when: str = "aujourdhui"
    mode: str = ""
    sector_id: EntityId | None = None

    @classmethod
    def of(cls, values: Any) -> "Search":
        """Read and sanitise the form's values (unknown ones fall back to defaults)."""
        profession = values.get("profession", "")
        when = values.get("quand", "")
        mode = values.get("mode", "")
        sector = values.get("secteur", "")
        return cls(
            profession=profession if profession in Profession.__members__ else cls.profession,
            when=when if when in WHEN else cls.when,
            mode=mode if mode in ConsultationMode.__members__ else "",
            sector_id=int(sector) if sector.isdigit() and len(sector) < 10 else None,
        )

    def query(self) -> SlotQuery:
        """The slot query of the API's search."""
        return SlotQuery(
            profession=self.profession,
            within_hours=24,
            same_day=self.when == "aujourdhui",
            sector_id=self.sector_id,
            mode=ConsultationMode(self.mode) if self.mode else None,
        )


def _search(
    request: Request, user: WebUser, search: Search, now: datetime, limit: int
) -> list[SlotOffer]:
    """The API's search, from the worker thread a page is built in."""
    found = from_thread.run(
        partial(
            search_slots,
            request.app.state.session_factory,
            cache=request.app.state.open_slots,
            cpts_id=user.principal.cpts_id,
            query=search.query(),
            page=PageParams(limit=limit, offset=0),
            now=now,
            pharmacy_id=user.principal.pharmacy_id,
        )
    )
    return found.offers()


def _counter_page(
    request: Request, session: Session, user: WebUser, now: datetime
) -> dict[str, Any]:
    searched = "profession" in request.query_params
    search = Search.of(request.query_params)
    offers = _search(request, user, search, now, RESULTS) if searched else []
    zone = zone_of(session, user.principal.cpts_id)
    today = [
        r
        for r in todays_referrals(session, principal=user.principal, now=now, zone=zone)
        if user.principal.pharmacy_id is not None
        or r.referrer_practitioner_id == user.principal.practitioner_id
    ]
    who = practitioners_by_id(
        session, cpts_id=user.principal.cpts_id, ids=(r.practitioner_id for r in today)
    )
    sectors = session.scalars(owned(Sector, user.principal.cpts_id).order_by(Sector.name)).all()
    return {
        "search": search,
        "searched": searched,
        "offers": offers,
        "today": today,
        "who": who,
        "sectors": sectors,
        "when_choices": WHEN,
        "zone": zone,
        "now": now,
        "spoken": spoken_instant,
    }


@router.get("/orienter")
@writes_on_read
async def counter(
    request: Request, session: SessionDep, now: NowDep, user: ReferrerPage
) -> HTMLResponse:
    """Orienter un patient: the search form, its results and today's referrals."""
    context = await run_in_threadpool(_counter_page, request, session, user, now)
    return render(request, "counter.html", context)


@dataclass(frozen=True)
class ChosenSlot:
    """The slot the patient form is for, with its practitioner."""

    slot: Slot
    practitioner: Practitioner

    @property
    def modes(self) -> list[ConsultationMode]:
        """How this practitioner can see the patient."""
        return modes_of(self.practitioner)


def _chosen(session: Session, user: WebUser, slot_id: int) -> ChosenSlot:
    slot = get_owned(session, Slot, slot_id, cpts_id=user.principal.cpts_id)
    return ChosenSlot(slot, session.get_one(Practitioner, slot.practitioner_id))


def _form_context(
    session: Session,
    user: WebUser,
    now: datetime,
    *,
    chosen: ChosenSlot | None,
    values: dict[str, str],
    errors: FormErrors,
    alternatives: list[SlotOffer] | None = None,
) -> dict[str, Any]:
    return {
        "chosen": chosen,
        "values": values,
        "errors": errors,
        "alternatives": alternatives,
        "idempotency_key": secrets.token_urlsafe(16),
        "reasons_order": [r.value for r in ReasonCategory],
        "zone": zone_of(session, user.principal.cpts_id),
        "now": now,
        "spoken": spoken_instant,
    }


def _patient_form(
    session: Session, user: WebUser, now: datetime, slot_id: int, values: dict[str, str]
) -> dict[str, Any]:
    chosen = _chosen(session, user, slot_id)
    return _form_context(session, user, now, chosen=chosen, values=values, errors=FormErrors())


@router.get("/orienter/creneaux/{slot_id}")
async def patient_form(
    request: Request, session: SessionDep, now: NowDep, user: ReferrerPage, slot_id: EntityId
) -> HTMLResponse:
    """The patient form for a chosen slot."""
    values = {
        "mode": request.query_params.get("mode", ""),
        "profession": request.query_params.get("profession", ""),
        "quand": request.query_params.get("quand", ""),
    }
    context = await run_in_threadpool(_patient_form, session, user, now, slot_id, values)
    return render(request, "patient_form.html", context)


def _booking(form: FormData, errors: FormErrors) -> ReferralCreate | None:
    data = {
        "slot_id": text(form, "slot_id") or None,
        "mode": text(form, "mode") or ConsultationMode.in_practice.value,
        **patient_values(form),
    }
    return parse_model(ReferralCreate, data, errors, PATIENT_MESSAGES)


def _book(
    request: Request, session: Session, user: WebUser, now: datetime, form: FormData
) -> Response:
    errors = FormErrors()
    values = {name: text(form, name) for name in form}
    data = _booking(form, errors)
    key = text(form, "idem")
    if data is None or not 8 <= len(key) <= 64:
        slot_id = values.get("slot_id", "")
        chosen = _chosen(session, user, int(slot_id)) if slot_id.isdigit() else None
        context = _form_context(session, user, now, chosen=chosen, values=values, errors=errors)
        return render(request, "patient_form.html", context, status=422)
    try:
        referral, _ = booking.book(session, principal=user.principal, data=data, key=key, now=now)
    except booking.SlotTaken:
        session.rollback()
        return _taken(request, session, user, now, data, values)
    return RedirectResponse(f"/orientations/{referral.id}", status_code=303)


def _taken(
    request: Request,
    session: Session,
    user: WebUser,
    now: datetime,
    data: ReferralCreate,
    values: dict[str, str],
) -> HTMLResponse:
    lost = get_owned(session, Slot, data.slot_id, cpts_id=user.principal.cpts_id)
    search = Search(profession=lost.profession, when="24h", mode=data.mode.value)
    offers = _search(request, user, search, now, ALTERNATIVES + 1)
    alternatives = [o for o in offers if o.slot_id != lost.id][:ALTERNATIVES]
    errors = FormErrors(slot_id="Ce créneau vient d'être pris par quelqu'un d'autre.")
    values = {**values, "slot_id": ""}
    context = _form_context(
        session, user, now, chosen=None, values=values, errors=errors, alternatives=alternatives
    )
    return render(request, "patient_form.html", context, status=409)


@router.post("/orienter/reserver")
async def book(
    request: Request, session: SessionDep, now: NowDep, user: ReferrerPage, form: SignedForm
) -> Response:
    """Book the slot for the patient, then show the confirmation."""
    return await run_in_threadpool(_book, request, session, user, now, form)


def confirmation_context(
    session: Session,
    user: WebUser,
    now: datetime,
    referral_id: int,
    draft: str = "",
    errors: FormErrors | None = None,
) -> dict[str, Any]:
    """The referral view: the appointment to read to the patient, and the thread with the
    practitioner (``draft`` and ``errors``: a refused message back in its form)."""
    referral = referrals.get_referral(session, principal=user.principal, referral_id=referral_id)
    appointment = referrals.appointments(session, referrals=[referral])[referral.id]
    start = appointment.starts_at_local
    thread = messaging.Thread(messaging.referral_key(referral.id), referral.cpts_id, referral)
    address = f"/orientations/{referral.id}/messages"
    return {
        "referral": referral,
        "appointment": appointment,
        "local_start": start,
        "spoken": spoken_instant(start, zone=ZoneInfo(appointment.timezone), now=now),
        "thread": thread_view(
            session, user, thread, now, address=address, draft=draft, errors=errors
        ),
        "unread": unread_now(session, user, now),
    }


@router.get("/orientations/{referral_id}")
@writes_on_read
async def confirmation(
    request: Request, session: SessionDep, now: NowDep, user: ReferrerPage, referral_id: EntityId
) -> HTMLResponse:
    """The confirmation to read aloud or print for the patient."""
    context = await run_in_threadpool(confirmation_context, session, user, now, referral_id)
    return render(request, "confirmation.html", context)


@router.post("/orientations/{referral_id}/annuler")
async def cancel(
    session: SessionDep, now: NowDep, user: ReferrerPage, referral_id: EntityId, _form: SignedForm
) -> Response:
    """Cancel a booked referral; its slot reopens if still ahead."""
    await run_in_threadpool(
        referrals.cancel, session, principal=user.principal, referral_id=referral_id, now=now
    )
    return RedirectResponse("/orienter", status_code=303)
