"""The catalogue of competences and equipment (coordinator: add, rename, remove after a
confirmation) and "Mes compétences et zones" (a practitioner, or the coordinator for any
practitioner): competences of their profession, equipment, home-visit communes and radius,
French errors beside each field and nothing written when one is refused."""

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams

from app.competences import service
from app.competences.models import CatalogueItem, ItemKind, practitioner_items
from app.competences.schemas import (
    CatalogueItemCreate,
    CatalogueItemUpdate,
    Declarations,
    Zones,
)
from app.db import SessionDep
from app.errors import Forbidden
from app.french import PROFESSIONS, PROFESSIONS_PLURAL
from app.types import EntityId
from app.web.admin_forms import (
    Field,
    FormSpec,
    ListPage,
    attempt,
    edit_form,
    every,
    model_values,
    submit,
)
from app.web.deps import CoordinatorPage, PageRoute, PractitionerPage, SignedForm, WebUser
from app.web.forms import FormErrors, parse_model, text
from app.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CATALOGUE = "/coordination/catalogue"
KINDS = (("competence", "Compétence"), ("equipment", "Équipement"))
LABEL_FIELD = Field("label", "Nom", "Indiquez un nom (120 caractères au plus).", required=True)
ITEM_FIELDS = [
    Field("kind", "Type", "Choisissez compétence ou équipement.", "select", True, "", KINDS),
    Field(
        "profession",
        "Profession (compétence)",
        "Choisissez une profession.",
        kind="select",
        choices=(("", "Aucune (équipement)"), *PROFESSIONS.items()),
        hint="Une compétence appartient à une profession ; un équipement à aucune.",
    ),
    LABEL_FIELD,
]
ITEM_FORM = FormSpec(
    tuple(ITEM_FIELDS),
    {
        "label": "Ce nom est déjà au catalogue pour ce type.",
        "profession": "Une compétence a une profession ; un équipement n'en a aucune.",
    },
    "label",
)
RENAME_FORM = FormSpec((LABEL_FIELD,), ITEM_FORM.refusals, "label")


def _catalogue_list(
    session: Session, user: WebUser, _query: QueryParams, values: dict[str, Any], errors: FormErrors
) -> dict[str, Any]:
    items = every(
        lambda page: service.list_items(session, cpts_id=user.principal.cpts_id, page=page)
    )
    competences = [i for i in items if i.kind == ItemKind.competence.value]
    return {
        "groups": [
            (label, [i for i in competences if i.profession == profession])
            for profession, label in PROFESSIONS_PLURAL.items()
        ],
        "equipment": [i for i in items if i.kind == ItemKind.equipment.value],
        "form_fields": ITEM_FIELDS,
        "values": values,
        "errors": errors,
    }


CATALOGUE_LIST = ListPage(
    "coord_catalogue.html", _catalogue_list, {"kind": "competence", "profession": "physio"}
)


@router.get("/coordination/catalogue")
async def catalogue(request: Request, session: SessionDep, user: CoordinatorPage) -> HTMLResponse:
    """The catalogue: competences by profession, equipment, and the form to add an item."""
    return await run_in_threadpool(CATALOGUE_LIST.show, request, session, user)


def _add_item(request: Request, session: Session, user: WebUser, form: FormData) -> Response:
    cpts_id = user.principal.cpts_id
    result = submit(
        session,
        form,
        ITEM_FORM,
        CatalogueItemCreate,
        lambda data: service.create_item(session, cpts_id=cpts_id, data=data),
    )
    return CATALOGUE_LIST.after(request, session, user, result, CATALOGUE)


@router.post("/coordination/catalogue")
async def add_item(
    request: Request, session: SessionDep, user: CoordinatorPage, form: SignedForm
) -> Response:
    """Add a competence (with its profession) or an equipment item."""
    return await run_in_threadpool(_add_item, request, session, user, form)


def _rename_form(
    request: Request, item_id: int, values: dict[str, Any], errors: FormErrors
) -> HTMLResponse:
    return edit_form(
        request,
        title="Renommer",
        action=f"{CATALOGUE}/{item_id}/renommer",
        back=(CATALOGUE, "le catalogue"),
        fields=RENAME_FORM.fields,
        values=values,
        errors=errors,
    )


@router.get("/coordination/catalogue/{item_id}/renommer")
async def rename_form(
    request: Request, session: SessionDep, user: CoordinatorPage, item_id: EntityId
) -> HTMLResponse:
    """The form to rename an item of the catalogue."""
    item = await run_in_threadpool(
        service.get_item, session, cpts_id=user.principal.cpts_id, item_id=item_id
    )
    return _rename_form(request, item_id, model_values(item, RENAME_FORM.fields), FormErrors())


def _rename(
    request: Request, session: Session, user: WebUser, item_id: int, form: FormData
) -> Response:
    cpts_id = user.principal.cpts_id
    service.get_item(session, cpts_id=cpts_id, item_id=item_id)
    result = submit(
        session,
        form,
        RENAME_FORM,
        CatalogueItemUpdate,
        lambda data: service.update_item(session, cpts_id=cpts_id, item_id=item_id, data=data),
    )
    if result.saved is not None:
        return RedirectResponse(CATALOGUE, status_code=303)
    return _rename_form(request, item_id, result.values, result.errors)


@router.post("/coordination/catalogue/{item_id}/renommer")
async def rename(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    item_id: EntityId,
    form: SignedForm,
) -> Response:
    """Rename an item; the practitioners who declared it keep it."""
    return await run_in_threadpool(_rename, request, session, user, item_id, form)


def _removal_page(session: Session, user: WebUser, item_id: int) -> dict[str, Any]:
    item = service.get_item(session, cpts_id=user.principal.cpts_id, item_id=item_id)
    declared = session.scalar(select(func.count()).where(practitioner_items.c.item_id == item.id))
    return {"item": item, "declared": declared or 0}


@router.get("/coordination/catalogue/{item_id}/supprimer")
async def confirm_removal(
    request: Request, session: SessionDep, user: CoordinatorPage, item_id: EntityId
) -> HTMLResponse:
    """Ask before removing an item, saying how many practitioners declared it."""
    context = await run_in_threadpool(_removal_page, session, user, item_id)
    return render(request, "coord_catalogue_remove.html", context)


@router.post("/coordination/catalogue/{item_id}/supprimer")
async def remove_item(
    session: SessionDep, user: CoordinatorPage, item_id: EntityId, _form: SignedForm
) -> Response:
    """Remove an item: the practitioners who declared it no longer do."""
    await run_in_threadpool(
        service.delete_item, session, cpts_id=user.principal.cpts_id, item_id=item_id
    )
    return RedirectResponse(CATALOGUE, status_code=303)


# A practitioner's competences, equipment and zones

COMMUNE_LINE = re.compile(r"^(\S{5})\s*[;,\-\u2013]?\s*(\S.*)$")
MESSAGES = {
    "communes": "Une commune par ligne : son code INSEE (5 caractères : chiffres, ou 2A/2B "
    "puis 3 chiffres) puis son nom, par exemple « 69259 Vénissieux ».",
    "radius_km": "Un rayon en kilomètres, plus grand que 0 et de 100 au plus (par exemple 5).",
    "competence_ids": "Choisissez des compétences de la liste.",
    "equipment_ids": "Choisissez des équipements de la liste.",
}
REFUSALS = {
    "competence_ids": "Une des compétences choisies n'est plus au catalogue ou n'est pas de "
    "cette profession : rechargez la page.",
    "equipment_ids": "Un des équipements choisis n'est plus au catalogue : rechargez la page.",
    "communes": "Une commune est écrite deux fois.",
    "radius_km": "Un rayon se mesure depuis le cabinet, dont la latitude et la longitude "
    "manquent : la coordination peut les indiquer.",
}


def _zones_text(communes: list[dict[str, str]]) -> str:
    return "\n".join(f"{c['insee_code']} {c['name']}" for c in communes)


def _communes(value: str, errors: FormErrors) -> list[dict[str, str]]:
    """The communes written one per line; a line that is not a code then a name is an error."""
    communes = []
    for number, line in enumerate(value.splitlines(), start=1):
        if not line.strip():
            continue
        found = COMMUNE_LINE.match(line.strip())
        if found is None:
            errors["communes"] = f"Ligne {number} : {MESSAGES['communes']}"
            continue
        communes.append({"insee_code": found.group(1).upper(), "name": found.group(2).strip()})
    return communes


def _zones_page(
    session: Session,
    user: WebUser,
    practitioner_id: int,
    values: dict[str, Any] | None,
    errors: FormErrors,
) -> dict[str, Any]:
    practitioner, declared = service.read_declarations(
        session, principal=user.principal, practitioner_id=practitioner_id
    )
    items = every(lambda page: service.list_items(session, cpts_id=practitioner.cpts_id, page=page))
    if values is None:
        radius = practitioner.zone_radius_km
        values = {
            "item_ids": [str(i.id) for i in declared],
            "communes": _zones_text(practitioner.zone_communes or []),
            "radius_km": "" if radius is None else f"{radius:g}",
        }
    own = user.principal.practitioner_id == practitioner.id
    return {
        "p": practitioner,
        "own": own,
        "action": "/praticien/competences"
        if own
        else f"/coordination/praticiens/{practitioner.id}/competences",
        "competences": [
            i
            for i in items
            if i.kind == ItemKind.competence.value and i.profession == practitioner.profession
        ],
        "equipment": [i for i in items if i.kind == ItemKind.equipment.value],
        "values": values,
        "errors": errors,
    }


def _save_zones(
    session: Session, user: WebUser, practitioner_id: int, form: FormData
) -> FormErrors:
    """Validate the whole form, then write declarations and zones together, or nothing."""
    errors = FormErrors()
    chosen = [v for v in form.getlist("item_ids") if isinstance(v, str)]
    kinds = {
        str(i.id): i.kind
        for i in session.scalars(
            select(CatalogueItem).where(CatalogueItem.cpts_id == user.principal.cpts_id)
        )
    }
    declarations = parse_model(
        Declarations,
        {
            "competence_ids": [v for v in chosen if kinds.get(v) != ItemKind.equipment.value],
            "equipment_ids": [v for v in chosen if kinds.get(v) == ItemKind.equipment.value],
        },
        errors,
        MESSAGES,
    )
    communes = _communes(text(form, "communes"), errors)
    radius = text(form, "radius_km").replace(",", ".") or None
    zones = parse_model(Zones, {"communes": communes, "radius_km": radius}, errors, MESSAGES)
    if errors or declarations is None or zones is None:
        return errors

    def write() -> None:
        service.declare(
            session, principal=user.principal, practitioner_id=practitioner_id, data=declarations
        )
        service.set_zones(
            session, principal=user.principal, practitioner_id=practitioner_id, data=zones
        )

    attempt(session, write, errors, REFUSALS, default_field="communes")
    for field in [f for f in errors if "." in f]:
        base = field.split(".")[0]
        errors.pop(field)
        errors[base] = REFUSALS.get(base, MESSAGES.get(base, "Cette valeur est refusée."))
    return errors


async def _zones(
    request: Request, session: Session, user: WebUser, practitioner_id: int, form: FormData | None
) -> Response:
    def run() -> Response:
        values = None
        errors = FormErrors()
        if form is not None:
            errors = _save_zones(session, user, practitioner_id, form)
            if not errors:
                back = _zones_page(session, user, practitioner_id, None, errors)["action"]
                return RedirectResponse(f"{back}?enregistre=1", status_code=303)
            values = {
                "item_ids": [v for v in form.getlist("item_ids") if isinstance(v, str)],
                "communes": text(form, "communes"),
                "radius_km": text(form, "radius_km"),
            }
        context = _zones_page(session, user, practitioner_id, values, errors)
        context["saved"] = request.query_params.get("enregistre") == "1" and form is None
        return render(request, "competences.html", context, status=422 if errors else 200)

    return await run_in_threadpool(run)


def _own_practitioner(user: WebUser) -> int:
    if user.principal.practitioner_id is None:
        raise Forbidden("this page is for a practitioner")
    return user.principal.practitioner_id


@router.get("/praticien/competences")
async def my_competences(request: Request, session: SessionDep, user: PractitionerPage) -> Response:
    """A practitioner's competences, equipment and home-visit zones."""
    return await _zones(request, session, user, _own_practitioner(user), None)


@router.post("/praticien/competences")
async def save_my_competences(
    request: Request, session: SessionDep, user: PractitionerPage, form: SignedForm
) -> Response:
    """Replace one's competences, equipment and zones (all or nothing)."""
    return await _zones(request, session, user, _own_practitioner(user), form)


@router.get("/coordination/praticiens/{practitioner_id}/competences")
async def practitioner_competences(
    request: Request, session: SessionDep, user: CoordinatorPage, practitioner_id: EntityId
) -> Response:
    """A practitioner's competences, equipment and zones, as the coordinator sees them."""
    return await _zones(request, session, user, practitioner_id, None)


@router.post("/coordination/praticiens/{practitioner_id}/competences")
async def save_practitioner_competences(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    practitioner_id: EntityId,
    form: SignedForm,
) -> Response:
    """Replace a practitioner's competences, equipment and zones (all or nothing)."""
    return await _zones(request, session, user, practitioner_id, form)
