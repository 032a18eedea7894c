"""The coordinator's practitioners: the list (search, profession, active), add and edit with
French errors beside each field, deactivate or reactivate, and one practitioner's page
(load this month, next and past on-call afternoons, absences, preferences)."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams

from app.availability import service as availability
from app.clock import NowDep
from app.cpts.service import list_sectors
from app.db import SessionDep
from app.errors import NotFound
from app.french import PROFESSIONS
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.practitioners import service
from app.practitioners.models import Practitioner
from app.practitioners.schemas import PractitionerCreate, PractitionerFilters, PractitionerUpdate
from app.rotations.models import Rotation, Shift, ShiftStatus
from app.rotations.oncall import SERVED
from app.stats.period import Period
from app.types import EntityId
from app.web.admin_forms import (
    Field,
    FormSpec,
    Submitted,
    choice_of,
    every,
    model_values,
    page_of,
    pager,
    search_words,
    submit,
)
from app.web.deps import CoordinatorPage, PageRoute, SignedForm, WebUser
from app.web.forms import FormErrors
from app.web.templating import render
from app.web.views import zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ALL = PageParams(limit=MAX_PAGE_SIZE, offset=0)
HISTORY = 20
UPCOMING = 10
LIST = "/coordination/praticiens"

FIELDS = [
    Field(
        "rpps",
        "Numéro RPPS",
        "Ce numéro RPPS n'est pas valide : il a 11 chiffres, dont le dernier est une clé "
        "de contrôle. Vérifiez-le.",
        required=True,
        hint="11 chiffres, sur la carte CPS ou l'annuaire santé.",
    ),
    Field("first_name", "Prénom", "Indiquez le prénom (100 caractères au plus).", required=True),
    Field("last_name", "Nom", "Indiquez le nom (100 caractères au plus).", required=True),
    Field(
        "profession",
        "Profession",
        "Choisissez une profession.",
        kind="select",
        required=True,
        choices=tuple(PROFESSIONS.items()),
    ),
    Field("phone", "Téléphone", "Un numéro de téléphone : chiffres, espaces, +.", kind="tel"),
    Field("email", "Adresse e-mail", "Indiquez une adresse e-mail valide.", kind="email"),
    Field("practice_address", "Adresse du cabinet", "L'adresse fait 300 caractères au plus."),
    Field(
        "latitude",
        "Latitude du cabinet",
        "Une latitude entre -90 et 90, donnée avec la longitude.",
        kind="number",
        hint="Par exemple 45,6975 (pour la carte et la recherche de créneaux).",
    ),
    Field(
        "longitude",
        "Longitude du cabinet",
        "Une longitude entre -180 et 180, donnée avec la latitude.",
        kind="number",
        hint="Par exemple 4,8867.",
    ),
    Field("sector_ids", "Secteurs desservis", "Choisissez des secteurs de la CPTS.", "checkboxes"),
    Field("home_visits", "Fait des visites à domicile", "", kind="checkbox"),
    Field("teleconsultation", "Fait des téléconsultations", "", kind="checkbox"),
    Field(
        "max_shifts_per_month",
        "Astreintes par mois, au plus",
        "Un nombre entier de 0 à 31.",
        kind="number",
        required=True,
    ),
    Field(
        "max_shifts_per_week",
        "Astreintes par semaine, au plus",
        "Un nombre entier de 0 à 7.",
        kind="number",
        required=True,
    ),
    Field(
        "fte",
        "Temps de travail (ETP)",
        "Un nombre plus grand que 0, 1 au plus (par exemple 0,8).",
        kind="number",
        required=True,
    ),
]
NEW_VALUES = {
    "profession": "gp",
    "max_shifts_per_month": "6",
    "max_shifts_per_week": "2",
    "fte": "1",
    "sector_ids": [],
}
REFUSALS = {
    "rpps": "Ce numéro RPPS est déjà enregistré dans la CPTS.",
    "latitude": "Latitude et longitude vont ensemble : indiquez les deux, ou aucune.",
    "longitude": "Latitude et longitude vont ensemble : indiquez les deux, ou aucune.",
    "sector_ids": "Un des secteurs choisis n'existe plus : rechargez la page.",
}


FORM = FormSpec(tuple(FIELDS), REFUSALS, "rpps")


def _spec(session: Session, cpts_id: int) -> FormSpec:
    sectors = every(lambda page: list_sectors(session, cpts_id=cpts_id, page=page))
    return FORM.offering("sector_ids", tuple((str(s.id), s.name) for s in sectors))


def _filters(query: QueryParams) -> PractitionerFilters:
    return PractitionerFilters(
        q=search_words(query),
        profession=choice_of(query, "profession", PROFESSIONS),
        active={"oui": True, "non": False}.get(query.get("actifs", "")),
    )


def _list_page(session: Session, user: WebUser, query: QueryParams) -> dict[str, Any]:
    filters = _filters(query)
    page, number = page_of(query)
    rows, total = service.list_practitioners(
        session, cpts_id=user.principal.cpts_id, filters=filters, page=page
    )
    return {
        "practitioners": rows,
        "total": total,
        "paging": pager(query, number, total),
        "q": query.get("q", ""),
        "profession": query.get("profession", ""),
        "actifs": query.get("actifs", ""),
    }


@router.get("/coordination/praticiens")
async def practitioners(
    request: Request, session: SessionDep, user: CoordinatorPage
) -> HTMLResponse:
    """The territory's practitioners by name, searchable and filtered."""
    context = await run_in_threadpool(_list_page, session, user, request.query_params)
    return render(request, "coord_practitioners.html", context)


def _form_page(
    request: Request,
    session: Session,
    user: WebUser,
    *,
    practitioner_id: int | None,
    values: dict[str, Any],
    errors: FormErrors,
) -> HTMLResponse:
    editing = practitioner_id is not None
    context = {
        "title": "Modifier le praticien" if editing else "Ajouter un praticien",
        "action": f"{LIST}/{practitioner_id}/modifier" if editing else f"{LIST}/nouveau",
        "submit": "Enregistrer" if editing else "Ajouter le praticien",
        "back": f"{LIST}/{practitioner_id}" if editing else LIST,
        "back_label": "le praticien" if editing else "les praticiens",
        "form_fields": _spec(session, user.principal.cpts_id).fields,
        "values": values,
        "errors": errors,
    }
    return render(request, "coord_form.html", context, status=422 if errors else 200)


@router.get("/coordination/praticiens/nouveau")
async def new_practitioner(
    request: Request, session: SessionDep, user: CoordinatorPage
) -> HTMLResponse:
    """The form to register a practitioner."""
    return await run_in_threadpool(
        lambda: _form_page(
            request, session, user, practitioner_id=None, values=NEW_VALUES, errors=FormErrors()
        )
    )


def _save(
    request: Request, session: Session, user: WebUser, form: FormData, practitioner_id: int | None
) -> Response:
    cpts_id = user.principal.cpts_id
    spec = _spec(session, cpts_id)
    result: Submitted[Practitioner]
    if practitioner_id is None:
        result = submit(
            session,
            form,
            spec,
            PractitionerCreate,
            lambda data: service.create_practitioner(session, cpts_id=cpts_id, data=data),
        )
    else:
        result = submit(
            session,
            form,
            spec,
            PractitionerUpdate,
            lambda data: service.update_practitioner(
                session, principal=user.principal, practitioner_id=practitioner_id, data=data
            ),
        )
    if result.saved is not None:
        return RedirectResponse(f"{LIST}/{result.saved.id}", status_code=303)
    return _form_page(
        request,
        session,
        user,
        practitioner_id=practitioner_id,
        values=result.values,
        errors=result.errors,
    )


@router.post("/coordination/praticiens/nouveau")
async def add_practitioner(
    request: Request, session: SessionDep, user: CoordinatorPage, form: SignedForm
) -> Response:
    """Register a practitioner; a refused field is shown again with its French error."""
    return await run_in_threadpool(_save, request, session, user, form, None)


def _edit_values(session: Session, user: WebUser, practitioner_id: int) -> dict[str, Any]:
    practitioner = service.get_practitioner(
        session, cpts_id=user.principal.cpts_id, practitioner_id=practitioner_id
    )
    values = model_values(practitioner, FIELDS)
    values["sector_ids"] = [str(s.id) for s in practitioner.sectors]
    return values


@router.get("/coordination/praticiens/{practitioner_id}/modifier")
async def edit_practitioner(
    request: Request, session: SessionDep, user: CoordinatorPage, practitioner_id: EntityId
) -> HTMLResponse:
    """The form to change a practitioner, filled with their current record."""

    def page() -> HTMLResponse:
        values = _edit_values(session, user, practitioner_id)
        return _form_page(
            request,
            session,
            user,
            practitioner_id=practitioner_id,
            values=values,
            errors=FormErrors(),
        )

    return await run_in_threadpool(page)


@router.post("/coordination/praticiens/{practitioner_id}/modifier")
async def change_practitioner(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    practitioner_id: EntityId,
    form: SignedForm,
) -> Response:
    """Change a practitioner's record."""
    return await run_in_threadpool(_save, request, session, user, form, practitioner_id)


@router.post("/coordination/praticiens/{practitioner_id}/{action}")
async def deactivate_or_reactivate(
    session: SessionDep,
    user: CoordinatorPage,
    practitioner_id: EntityId,
    action: str,
    _form: SignedForm,
) -> Response:
    """Deactivate (off future rotations, their access ended) or reactivate a practitioner."""
    if action == "desactiver":
        await run_in_threadpool(
            service.deactivate_practitioner,
            session,
            cpts_id=user.principal.cpts_id,
            practitioner_id=practitioner_id,
        )
    elif action == "reactiver":
        await run_in_threadpool(
            service.update_practitioner,
            session,
            principal=user.principal,
            practitioner_id=practitioner_id,
            data=PractitionerUpdate(active=True),
        )
    else:
        raise NotFound(f"unknown action {action}")
    return RedirectResponse(f"{LIST}/{practitioner_id}", status_code=303)


def _served_shifts(practitioner_id: int) -> Select[Shift]:
    """The practitioner's shifts in published or archived plannings (not drafts)."""
    return (
        select(Shift)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .where(Shift.practitioner_id == practitioner_id, Rotation.status.in_(SERVED))
    )


def _load(shifts: list[Shift]) -> dict[str, Any]:
    active = [s for s in shifts if s.status == ShiftStatus.active.value]
    seconds = sum((s.ends_at - s.starts_at).total_seconds() for s in active)
    return {"shifts": len(active), "hours": round(seconds / 3600, 1)}


def _detail_page(
    session: Session, user: WebUser, practitioner_id: int, now: datetime
) -> dict[str, Any]:
    cpts_id = user.principal.cpts_id
    practitioner = service.get_practitioner(
        session, cpts_id=cpts_id, practitioner_id=practitioner_id
    )
    zone = zone_of(session, cpts_id)
    month = Period.month(f"{now.astimezone(zone):%Y-%m}", timezone=str(zone))
    query = _served_shifts(practitioner.id)
    this_month = session.scalars(
        query.where(Shift.starts_at >= month.starts_at, Shift.starts_at < month.ends_at)
    )
    upcoming = session.scalars(
        query.where(Shift.ends_at > now, Shift.status == ShiftStatus.active.value)
        .order_by(Shift.starts_at)
        .limit(UPCOMING)
    )
    past = session.scalars(
        query.where(Shift.ends_at <= now).order_by(Shift.starts_at.desc()).limit(HISTORY)
    )
    absences, _ = availability.list_absences(
        session, practitioner=practitioner, start=None, end=None, page=ALL
    )
    preferences, _ = availability.list_preferences(session, practitioner=practitioner, page=ALL)
    return {
        "p": practitioner,
        "month": month,
        "load": _load(list(this_month)),
        "upcoming": list(upcoming),
        "past": list(past),
        "absences": absences,
        "preferences": preferences,
        "zone": zone,
    }


@router.get("/coordination/praticiens/{practitioner_id}")
async def practitioner_page(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: CoordinatorPage,
    practitioner_id: EntityId,
) -> HTMLResponse:
    """One practitioner: record, load this month, absences, preferences and history."""
    context = await run_in_threadpool(_detail_page, session, user, practitioner_id, now)
    return render(request, "coord_practitioner.html", context)
