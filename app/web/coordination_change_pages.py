"""Changing a month: a shift's page (replace with ranked suggestions, cancel, lock), putting
someone on call in a gap, each checked by the solver's rules and forced only with a reason;
an absence and the repair it calls for; swaps waiting for approval."""

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.availability import service as availability
from app.availability.schemas import AbsenceCreate
from app.clock import NowDep
from app.cpts.models import Sector
from app.db import SessionDep
from app.errors import DomainError, NotFound, RuleViolation
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.rotations import amendments, oncall, swaps
from app.rotations import service as rotations
from app.rotations.models import Rotation, RotationStatus, Shift, ShiftStatus, SwapStatus
from app.rotations.schemas import ChangeReason, RepairRequest, ShiftAssign, ShiftReplace
from app.rotations.swap_schemas import SwapDecision
from app.tenancy import get_owned
from app.types import EntityId
from app.web.deps import CoordinatorPage, PageRoute, SignedForm, WebUser
from app.web.forms import FormErrors, parse_model, text
from app.web.refusals import refusal, stored_rule_sentences
from app.web.templating import render
from app.web.views import practitioner_names, zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ALL = PageParams(limit=MAX_PAGE_SIZE, offset=0)
CHANGE_REFUSAL = "Ce changement n'est plus possible : rechargez la page."
FORCE_NEEDS_REASON = "Pour passer outre une règle, indiquez le motif."
NO_REPLACEMENT = "Choisissez qui reprend la garde."
BAD_REASON = "Le motif fait 500 caractères au plus, sans caractère de contrôle."


def _shift(session: Session, user: WebUser, shift_id: int) -> tuple[Shift, Rotation]:
    shift = get_owned(session, Shift, shift_id, cpts_id=user.principal.cpts_id)
    rotation = rotations.get_rotation(
        session, principal=user.principal, rotation_id=shift.rotation_id
    )
    return shift, rotation


def _change(form: FormData) -> dict[str, Any]:
    """The force / reason part every change form shares."""
    return {"force": form.get("force") == "1", "reason": text(form, "reason")[:500] or None}


def _shift_page(
    session: Session,
    user: WebUser,
    shift_id: int,
    *,
    error: list[str],
    values: dict[str, Any],
) -> dict[str, Any]:
    shift, rotation = _shift(session, user, shift_id)
    cpts_id = user.principal.cpts_id
    changeable = (
        rotation.status in amendments.CHANGEABLE and shift.status == ShiftStatus.active.value
    )
    options = None
    excluded_rules: dict[int, list[str]] = {}
    if changeable:
        options = oncall.suggest(
            session, principal=user.principal, rotation_id=rotation.id, shift_id=shift.id
        )
        excluded_rules = {
            e.practitioner_id: stored_rule_sentences(
                session, cpts_id=cpts_id, stored=e.broken_rules
            )
            for e in options.excluded
        }
    holder = session.get_one(Practitioner, shift.practitioner_id)
    sector = session.get(Sector, shift.sector_id) if shift.sector_id else None
    return {
        "shift": shift,
        "rotation": rotation,
        "holder": holder,
        "sector": sector.name if sector else "Territoire",
        "changeable": changeable,
        "options": options,
        "excluded_rules": excluded_rules,
        "error": error,
        "values": values,
        "zone": zone_of(session, cpts_id),
    }


@router.get("/coordination/gardes/{shift_id}")
async def shift_page(
    request: Request, session: SessionDep, user: CoordinatorPage, shift_id: EntityId
) -> HTMLResponse:
    """A shift: who holds it, replacements ranked best first (and who cannot take it, and
    why), cancel, lock."""
    context = await run_in_threadpool(_shift_page, session, user, shift_id, error=[], values={})
    return render(request, "coordination_shift.html", context)


def _change_refusal(session: Session, user: WebUser, refused: DomainError) -> list[str]:
    """A refused change in French: the rules it breaks, or that forcing needs a reason."""
    words = refusal(
        session, cpts_id=user.principal.cpts_id, error=refused, otherwise=CHANGE_REFUSAL
    )
    return [FORCE_NEEDS_REASON] if refused.field == "reason" else words


def _refused_shift_page(
    request: Request,
    session: Session,
    user: WebUser,
    shift_id: int,
    refused: DomainError,
    values: dict[str, Any],
) -> Response:
    words = _change_refusal(session, user, refused)
    context = _shift_page(session, user, shift_id, error=words, values=values)
    return render(request, "coordination_shift.html", context, status=refused.status)


def _invalid_shift_step(
    request: Request,
    session: Session,
    user: WebUser,
    shift_id: int,
    values: dict[str, Any],
    message: str,
) -> Response:
    session.rollback()
    context = _shift_page(session, user, shift_id, error=[message], values=values)
    return render(request, "coordination_shift.html", context, status=422)


def _shift_step(
    request: Request, session: Session, user: WebUser, shift_id: int, form: FormData, step: str
) -> Response:
    values = {name: text(form, name) for name in form if name != "csrf"}
    shift, rotation = _shift(session, user, shift_id)
    principal = user.principal
    chosen = text(form, "practitioner_id")
    if step == "replace" and (not chosen.isdigit() or len(chosen) > 12):
        return _invalid_shift_step(request, session, user, shift_id, values, NO_REPLACEMENT)
    try:
        if step == "replace":
            data = ShiftReplace(practitioner_id=int(chosen), **_change(form))
            target = amendments.replace(
                session, principal=principal, rotation_id=rotation.id, shift_id=shift.id, data=data
            )
            return RedirectResponse(f"/coordination/gardes/{target.id}", status_code=303)
        if step == "cancel":
            amendments.unassign(
                session,
                principal=principal,
                rotation_id=rotation.id,
                shift_id=shift.id,
                data=ChangeReason(**_change(form)),
            )
        else:
            amendments.set_locked(
                session,
                principal=principal,
                rotation_id=rotation.id,
                shift_id=shift.id,
                locked=form.get("locked") == "1",
            )
    except DomainError as refused:
        return _refused_shift_page(request, session, user, shift_id, refused, values)
    except ValueError:
        return _invalid_shift_step(request, session, user, shift_id, values, BAD_REASON)
    return RedirectResponse(f"/coordination/gardes/{shift.id}", status_code=303)


@router.post("/coordination/gardes/{shift_id}/remplacement")
async def replace_shift(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    shift_id: EntityId,
    form: SignedForm,
) -> Response:
    """Give the shift to another practitioner (a broken rule is refused unless forced)."""
    return await run_in_threadpool(_shift_step, request, session, user, shift_id, form, "replace")


@router.post("/coordination/gardes/{shift_id}/annulation")
async def cancel_shift(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    shift_id: EntityId,
    form: SignedForm,
) -> Response:
    """Cancel the shift; it stays in the history."""
    return await run_in_threadpool(_shift_step, request, session, user, shift_id, form, "cancel")


@router.post("/coordination/gardes/{shift_id}/verrou")
async def lock_shift(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    shift_id: EntityId,
    form: SignedForm,
) -> Response:
    """Lock the shift (every solve and repair keeps it) or unlock it."""
    return await run_in_threadpool(_shift_step, request, session, user, shift_id, form, "lock")


class AssignQuery(BaseModel):
    """Where a gap is: the day, the profession and the sector (none: the territory)."""

    day: date
    profession: Profession
    sector_id: int | None = None


def _assign_page(
    session: Session,
    user: WebUser,
    rotation_id: int,
    where: dict[str, str],
    *,
    error: list[str],
    values: dict[str, Any],
) -> dict[str, Any]:
    rotation = rotations.get_rotation(session, principal=user.principal, rotation_id=rotation_id)
    errors = FormErrors()
    query = parse_model(
        AssignQuery,
        {
            "day": where.get("jour") or None,
            "profession": where.get("profession") or None,
            "sector_id": where.get("secteur") or None,
        },
        errors,
        {},
    )
    if query is None or not rotation.period_start <= query.day <= rotation.period_end:
        raise NotFound("no such gap to fill")
    people = select(Practitioner).where(
        Practitioner.cpts_id == rotation.cpts_id,
        Practitioner.active.is_(True),
        Practitioner.profession == query.profession.value,
    )
    if query.sector_id is not None:
        people = people.where(Practitioner.sectors.any(Sector.id == query.sector_id))
    sector = None
    if query.sector_id is not None:
        sector = session.scalar(
            select(Sector).where(Sector.cpts_id == rotation.cpts_id, Sector.id == query.sector_id)
        )
        if sector is None:
            raise NotFound(f"sector {query.sector_id} not found")
    return {
        "rotation": rotation,
        "where": query,
        "sector": sector.name if sector else "Territoire",
        "people": list(session.scalars(people.order_by(Practitioner.last_name, Practitioner.id))),
        "error": error,
        "values": values,
    }


@router.get("/coordination/plannings/{rotation_id}/affecter")
async def assign_form(
    request: Request, session: SessionDep, user: CoordinatorPage, rotation_id: EntityId
) -> HTMLResponse:
    """Put someone on call where a gap is."""
    where = dict(request.query_params)
    context = await run_in_threadpool(
        _assign_page, session, user, rotation_id, where, error=[], values={}
    )
    return render(request, "coordination_assign.html", context)


def _assign(
    request: Request, session: Session, user: WebUser, rotation_id: int, form: FormData
) -> Response:
    where = {name: text(form, name) for name in ("jour", "profession", "secteur")}
    values = {name: text(form, name) for name in form if name != "csrf"}
    context = _assign_page(session, user, rotation_id, where, error=[], values=values)
    chosen = text(form, "practitioner_id")
    if not chosen.isdigit() or len(chosen) > 12:
        context["error"] = ["Choisissez un praticien."]
        return render(request, "coordination_assign.html", context, status=422)
    try:
        data = ShiftAssign(
            practitioner_id=int(chosen),
            day=context["where"].day,
            sector_id=context["where"].sector_id,
            locked=form.get("locked") == "1",
            **_change(form),
        )
        amendments.assign(session, principal=user.principal, rotation_id=rotation_id, data=data)
    except DomainError as refused:
        words, status = _change_refusal(session, user, refused), refused.status
    except ValueError:
        session.rollback()
        words, status = [BAD_REASON], 422
    else:
        first = context["where"].day.replace(day=1)
        return RedirectResponse(f"/coordination/mois/{first:%Y-%m}", status_code=303)
    context = _assign_page(session, user, rotation_id, where, error=words, values=values)
    return render(request, "coordination_assign.html", context, status=status)


@router.post("/coordination/plannings/{rotation_id}/affecter")
async def assign(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    rotation_id: EntityId,
    form: SignedForm,
) -> Response:
    """Put the chosen practitioner on call (a broken rule is refused unless forced)."""
    return await run_in_threadpool(_assign, request, session, user, rotation_id, form)


ABSENCE_REFUSAL = (
    "Cette absence chevauche une absence déjà déclarée ou une garde verrouillée "
    "(déverrouillez-la d'abord)."
)
ABSENCE_MESSAGES = {
    "start_date": "Indiquez le premier jour (jj/mm/aaaa).",
    "end_date": "Indiquez le dernier jour, le premier ou après.",
    "reason": "Le motif fait 200 caractères au plus.",
}


def _absence_page(
    session: Session,
    user: WebUser,
    now: datetime,
    *,
    values: dict[str, str],
    errors: FormErrors,
    recorded: dict[str, Any] | None,
) -> dict[str, Any]:
    cpts_id = user.principal.cpts_id
    people = session.scalars(
        select(Practitioner)
        .where(Practitioner.cpts_id == cpts_id, Practitioner.active.is_(True))
        .order_by(Practitioner.last_name, Practitioner.first_name, Practitioner.id)
    )
    return {
        "people": list(people),
        "values": values,
        "errors": errors,
        "recorded": recorded,
        "error": [],
        "tomorrow": now.astimezone(zone_of(session, cpts_id)).date() + timedelta(days=1),
    }


@router.get("/coordination/absences")
async def absence_form(
    request: Request, session: SessionDep, now: NowDep, user: CoordinatorPage
) -> HTMLResponse:
    """Record a practitioner's absence (then repair the plannings it touches)."""
    context = await run_in_threadpool(
        _absence_page, session, user, now, values={}, errors=FormErrors(), recorded=None
    )
    return render(request, "coordination_absence.html", context)


def _affected(
    session: Session, *, practitioner: Practitioner, start: date, end: date
) -> list[tuple[Rotation, int]]:
    """Published rotations holding shifts of the practitioner within the absence."""
    rows = session.execute(
        select(Rotation, Shift.id)
        .join(Shift, Shift.rotation_id == Rotation.id)
        .where(
            Shift.practitioner_id == practitioner.id,
            Shift.status == ShiftStatus.active.value,
            Shift.day >= start,
            Shift.day <= end,
            Rotation.status == RotationStatus.published.value,
        )
    ).all()
    counted: dict[int, tuple[Rotation, int]] = {}
    for rotation, _ in rows:
        held = counted.get(rotation.id, (rotation, 0))[1]
        counted[rotation.id] = (rotation, held + 1)
    return sorted(counted.values(), key=lambda pair: pair[0].period_start)


def _record_absence(
    request: Request, session: Session, user: WebUser, now: datetime, form: FormData
) -> Response:
    values = {name: text(form, name) for name in form if name != "csrf"}
    errors = FormErrors()
    data = parse_model(
        AbsenceCreate,
        {
            "start_date": values.get("start_date") or None,
            "end_date": values.get("end_date") or None,
            "reason": values.get("reason") or None,
        },
        errors,
        ABSENCE_MESSAGES,
    )
    chosen = values.get("practitioner_id", "")
    if not chosen.isdigit() or len(chosen) > 12:
        errors["practitioner_id"] = "Choisissez un praticien."
    if data is not None and not errors:
        try:
            practitioner = availability.reachable_practitioner(
                session, principal=user.principal, practitioner_id=int(chosen)
            )
            availability.create_absence(session, practitioner=practitioner, data=data)
            recorded = {
                "practitioner": practitioner,
                "start": data.start_date,
                "end": data.end_date,
                "affected": _affected(
                    session, practitioner=practitioner, start=data.start_date, end=data.end_date
                ),
            }
            context = _absence_page(
                session, user, now, values={}, errors=FormErrors(), recorded=recorded
            )
            return render(request, "coordination_absence.html", context, status=201)
        except DomainError as refused:
            errors["start_date"] = refusal(
                session, cpts_id=user.principal.cpts_id, error=refused, otherwise=ABSENCE_REFUSAL
            )[0]
    context = _absence_page(session, user, now, values=values, errors=errors, recorded=None)
    return render(request, "coordination_absence.html", context, status=422)


@router.post("/coordination/absences")
async def record_absence(
    request: Request, session: SessionDep, now: NowDep, user: CoordinatorPage, form: SignedForm
) -> Response:
    """Record the absence; the page then offers to repair each published planning it touches."""
    return await run_in_threadpool(_record_absence, request, session, user, now, form)


REPAIR_REFUSAL = (
    "Réparation impossible : un calcul est déjà en cours pour ce planning, il n'est pas "
    "publié, ou il n'a plus de jour à venir."
)


def _repair(
    request: Request,
    session: Session,
    user: WebUser,
    now: datetime,
    rotation_id: int,
    form: FormData,
) -> Response:
    tomorrow = now.astimezone(zone_of(session, user.principal.cpts_id)).date() + timedelta(days=1)
    asked = text(form, "from_day")
    try:
        from_day = max(date.fromisoformat(asked), tomorrow) if asked else tomorrow
        data = RepairRequest(from_day=from_day, reason=text(form, "reason")[:500] or None)
        job = rotations.request_repair(
            session, principal=user.principal, rotation_id=rotation_id, data=data
        )
    except ValueError:
        raise RuleViolation("invalid repair request: from_day or reason") from None
    except DomainError as refused:
        words = refusal(
            session, cpts_id=user.principal.cpts_id, error=refused, otherwise=REPAIR_REFUSAL
        )
        context = _absence_page(session, user, now, values={}, errors=FormErrors(), recorded=None)
        context["error"] = words
        return render(request, "coordination_absence.html", context, status=409)
    return RedirectResponse(f"/coordination/calculs/{job.id}", status_code=303)


@router.post("/coordination/plannings/{rotation_id}/reparation")
async def repair(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: CoordinatorPage,
    rotation_id: EntityId,
    form: SignedForm,
) -> Response:
    """Repair a published planning from a day on, changing as little as possible."""
    return await run_in_threadpool(_repair, request, session, user, now, rotation_id, form)


def _swaps_page(session: Session, user: WebUser, error: list[str]) -> dict[str, Any]:
    cpts_id = user.principal.cpts_id
    offers, _ = swaps.list_offers(
        session, principal=user.principal, page=ALL, status=SwapStatus.pending_approval
    )
    shifts = {
        s.id: s
        for s in session.scalars(select(Shift).where(Shift.id.in_({o.shift_id for o in offers})))
    }
    ids = {o.offered_by for o in offers} | {o.taken_by for o in offers if o.taken_by}
    return {
        "offers": offers,
        "shifts": shifts,
        "names": practitioner_names(session, cpts_id=cpts_id, ids=ids),
        "zone": zone_of(session, cpts_id),
        "error": error,
    }


@router.get("/coordination/echanges")
async def swaps_page(request: Request, session: SessionDep, user: CoordinatorPage) -> HTMLResponse:
    """Swaps taken by a colleague and waiting for the coordinator's approval."""
    context = await run_in_threadpool(_swaps_page, session, user, [])
    return render(request, "coordination_swaps.html", context)


SWAP_REFUSAL = "Cet échange n'est plus possible : l'astreinte a commencé ou il a déjà été traité."


def _decide(
    request: Request,
    session: Session,
    user: WebUser,
    now: datetime,
    offer_id: int,
    form: FormData,
    approve: bool,
) -> Response:
    data = SwapDecision(reason=text(form, "reason")[:500] or None)
    try:
        if approve:
            swaps.approve_offer(
                session, principal=user.principal, offer_id=offer_id, data=data, now=now
            )
        else:
            swaps.reject_offer(session, principal=user.principal, offer_id=offer_id, data=data)
    except DomainError as refused:
        words = refusal(
            session, cpts_id=user.principal.cpts_id, error=refused, otherwise=SWAP_REFUSAL
        )
        context = _swaps_page(session, user, words)
        return render(request, "coordination_swaps.html", context, status=409)
    return RedirectResponse("/coordination/echanges", status_code=303)


@router.post("/coordination/echanges/{offer_id}/approbation")
async def approve_swap(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: CoordinatorPage,
    offer_id: EntityId,
    form: SignedForm,
) -> Response:
    """Apply the swap (the rules are checked again now)."""
    return await run_in_threadpool(_decide, request, session, user, now, offer_id, form, True)


@router.post("/coordination/echanges/{offer_id}/refus")
async def reject_swap(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: CoordinatorPage,
    offer_id: EntityId,
    form: SignedForm,
) -> Response:
    """Refuse the swap: the shift stays with its holder."""
    return await run_in_threadpool(_decide, request, session, user, now, offer_id, form, False)
