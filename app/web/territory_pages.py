"""The coordinator's territory besides practitioners: pharmacies (search, add, edit,
remove), sectors (search, add, edit, remove) and coverage rules (filter, add, change the
number needed, remove). French errors beside each field; the API's services do the work."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams

from app.coverage import service as coverage
from app.coverage.models import DAY_KINDS
from app.coverage.schemas import CoverageRuleCreate, CoverageRuleUpdate, DayKind
from app.cpts import service as sectors
from app.cpts.schemas import SectorCreate, SectorUpdate
from app.db import SessionDep
from app.errors import Conflict
from app.french import COVERAGE_DAYS, PROFESSIONS
from app.pharmacies import service as pharmacies
from app.pharmacies.schemas import PharmacyCreate, PharmacyFilters, PharmacyUpdate
from app.professions import Profession
from app.types import EntityId
from app.web.admin_forms import (
    Field,
    FormSpec,
    ListPage,
    Submitted,
    choice_of,
    edit_form,
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

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PHARMACIES = "/coordination/pharmacies"
SECTORS = "/coordination/secteurs"
RULES = "/coordination/regles"
NO_SECTOR = ("", "Aucun secteur")
WHOLE_TERRITORY = ("", "Tout le territoire")

PHARMACY_FIELDS = [
    Field(
        "finess",
        "Numéro FINESS",
        "Ce numéro FINESS n'est pas valide : 9 caractères (2A ou 2B pour la Corse), dont le "
        "dernier est une clé de contrôle. Vérifiez-le.",
        required=True,
    ),
    Field("name", "Nom", "Indiquez le nom (200 caractères au plus).", required=True),
    Field("address", "Adresse", "L'adresse fait 300 caractères au plus."),
    Field("phone", "Téléphone", "Un numéro de téléphone : chiffres, espaces, +.", kind="tel"),
    Field(
        "latitude",
        "Latitude",
        "Une latitude entre -90 et 90, donnée avec la longitude.",
        kind="number",
        hint="Par exemple 45,7063 (pour la carte et les créneaux les plus proches).",
    ),
    Field(
        "longitude",
        "Longitude",
        "Une longitude entre -180 et 180, donnée avec la latitude.",
        kind="number",
        hint="Par exemple 4,8801.",
    ),
    Field("sector_id", "Secteur", "Choisissez un secteur de la CPTS.", kind="select"),
]
PHARMACY_FORM = FormSpec(
    tuple(PHARMACY_FIELDS),
    {
        "finess": "Ce numéro FINESS est déjà enregistré dans la CPTS.",
        "latitude": "Latitude et longitude vont ensemble : indiquez les deux, ou aucune.",
        "longitude": "Latitude et longitude vont ensemble : indiquez les deux, ou aucune.",
        "sector_id": "Ce secteur n'existe plus : rechargez la page.",
    },
    "finess",
)
SECTOR_FIELDS = [
    Field("name", "Nom du secteur", "Indiquez un nom (120 caractères au plus).", required=True),
    Field(
        "communes",
        "Communes",
        "Des noms de communes séparés par des virgules (120 caractères au plus chacun).",
        kind="list",
        hint="Séparées par des virgules, par exemple : Vénissieux, Saint-Fons.",
    ),
]
SECTOR_FORM = FormSpec(tuple(SECTOR_FIELDS), {"name": "Un secteur porte déjà ce nom."}, "name")
RULE_FIELDS = [
    Field(
        "day_kind",
        "Jour",
        "Choisissez un jour.",
        kind="select",
        required=True,
        choices=tuple(COVERAGE_DAYS.items()),
    ),
    Field(
        "profession",
        "Profession",
        "Choisissez une profession.",
        kind="select",
        required=True,
        choices=tuple(PROFESSIONS.items()),
    ),
    Field("sector_id", "Secteur", "Choisissez un secteur de la CPTS.", kind="select"),
    Field(
        "required",
        "Nombre de professionnels par bloc",
        "Un nombre entier de 0 à 100.",
        kind="number",
        required=True,
    ),
]
RULE_FORM = FormSpec(
    tuple(RULE_FIELDS),
    {
        "day_kind": "Une règle existe déjà pour ce jour, cette profession et ce secteur : "
        "modifiez-la dans la liste.",
        "sector_id": "Ce secteur n'existe plus : rechargez la page.",
    },
    "day_kind",
)
REQUIRED_FORM = FormSpec((RULE_FIELDS[-1],), {}, "required")


def _sector_choices(session: Session, cpts_id: int, empty: tuple[str, str]) -> Any:
    rows = every(lambda page: sectors.list_sectors(session, cpts_id=cpts_id, page=page))
    return (empty, *((str(s.id), s.name) for s in rows))


def _with_sectors(session: Session, user: WebUser, spec: FormSpec, empty: Any) -> FormSpec:
    return spec.offering("sector_id", _sector_choices(session, user.principal.cpts_id, empty))


# Pharmacies


def _pharmacy_list(
    session: Session, user: WebUser, query: QueryParams, refusal: str = ""
) -> dict[str, Any]:
    cpts_id = user.principal.cpts_id
    names = dict(_sector_choices(session, cpts_id, NO_SECTOR)[1:])
    sector = choice_of(query, "secteur", names)
    filters = PharmacyFilters(q=search_words(query), sector_id=int(sector) if sector else None)
    page, number = page_of(query)
    rows, total = pharmacies.list_pharmacies(session, cpts_id=cpts_id, filters=filters, page=page)
    return {
        "pharmacies": rows,
        "total": total,
        "paging": pager(query, number, total),
        "q": query.get("q", ""),
        "sector": sector or "",
        "sectors": names,
        "refusal": refusal,
    }


@router.get("/coordination/pharmacies")
async def pharmacy_list(
    request: Request, session: SessionDep, user: CoordinatorPage
) -> HTMLResponse:
    """The territory's pharmacies by name, searchable, filtered by sector."""
    context = await run_in_threadpool(_pharmacy_list, session, user, request.query_params)
    return render(request, "coord_pharmacies.html", context)


def _pharmacy_form(
    request: Request,
    session: Session,
    user: WebUser,
    pharmacy_id: int | None,
    values: dict[str, Any],
    errors: FormErrors,
) -> HTMLResponse:
    return edit_form(
        request,
        title="Modifier la pharmacie" if pharmacy_id else "Ajouter une pharmacie",
        action=f"{PHARMACIES}/{pharmacy_id}/modifier" if pharmacy_id else f"{PHARMACIES}/nouvelle",
        back=(PHARMACIES, "les pharmacies"),
        fields=_with_sectors(session, user, PHARMACY_FORM, NO_SECTOR).fields,
        values=values,
        errors=errors,
    )


@router.get("/coordination/pharmacies/nouvelle")
async def new_pharmacy(
    request: Request, session: SessionDep, user: CoordinatorPage
) -> HTMLResponse:
    """The form to register a pharmacy."""
    return await run_in_threadpool(_pharmacy_form, request, session, user, None, {}, FormErrors())


def _save_pharmacy(
    request: Request, session: Session, user: WebUser, form: FormData, pharmacy_id: int | None
) -> Response:
    cpts_id = user.principal.cpts_id
    spec = _with_sectors(session, user, PHARMACY_FORM, NO_SECTOR)
    result: Submitted[object]
    if pharmacy_id is None:
        result = submit(
            session,
            form,
            spec,
            PharmacyCreate,
            lambda data: pharmacies.create_pharmacy(session, cpts_id=cpts_id, data=data),
        )
    else:
        result = submit(
            session,
            form,
            spec,
            PharmacyUpdate,
            lambda data: pharmacies.update_pharmacy(
                session, cpts_id=cpts_id, pharmacy_id=pharmacy_id, data=data
            ),
        )
    if result.saved is not None:
        return RedirectResponse(PHARMACIES, status_code=303)
    return _pharmacy_form(request, session, user, pharmacy_id, result.values, result.errors)


@router.post("/coordination/pharmacies/nouvelle")
async def add_pharmacy(
    request: Request, session: SessionDep, user: CoordinatorPage, form: SignedForm
) -> Response:
    """Register a pharmacy; a refused field is shown again with its French error."""
    return await run_in_threadpool(_save_pharmacy, request, session, user, form, None)


@router.get("/coordination/pharmacies/{pharmacy_id}/modifier")
async def edit_pharmacy(
    request: Request, session: SessionDep, user: CoordinatorPage, pharmacy_id: EntityId
) -> HTMLResponse:
    """The form to change a pharmacy, filled with its current record."""

    def page() -> HTMLResponse:
        pharmacy = pharmacies.get_pharmacy(
            session, cpts_id=user.principal.cpts_id, pharmacy_id=pharmacy_id
        )
        values = model_values(pharmacy, PHARMACY_FIELDS)
        return _pharmacy_form(request, session, user, pharmacy_id, values, FormErrors())

    return await run_in_threadpool(page)


@router.post("/coordination/pharmacies/{pharmacy_id}/modifier")
async def change_pharmacy(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    pharmacy_id: EntityId,
    form: SignedForm,
) -> Response:
    """Change a pharmacy's record."""
    return await run_in_threadpool(_save_pharmacy, request, session, user, form, pharmacy_id)


def _remove_pharmacy(
    request: Request, session: Session, user: WebUser, pharmacy_id: int
) -> Response:
    try:
        pharmacies.delete_pharmacy(session, cpts_id=user.principal.cpts_id, pharmacy_id=pharmacy_id)
    except Conflict:
        session.rollback()
        refusal = (
            "Cette pharmacie a déjà orienté des patients : elle reste enregistrée, car ses "
            "orientations font partie de l'historique. Ses comptes peuvent être désactivés "
            "dans les utilisateurs."
        )
        context = _pharmacy_list(session, user, QueryParams(), refusal)
        return render(request, "coord_pharmacies.html", context, status=409)
    return RedirectResponse(PHARMACIES, status_code=303)


@router.post("/coordination/pharmacies/{pharmacy_id}/retirer")
async def remove_pharmacy(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    pharmacy_id: EntityId,
    _form: SignedForm,
) -> Response:
    """Remove a pharmacy that never referred a patient (kept otherwise, with a sentence)."""
    return await run_in_threadpool(_remove_pharmacy, request, session, user, pharmacy_id)


# Sectors


def _sector_list(
    session: Session,
    user: WebUser,
    query: QueryParams,
    values: dict[str, Any],
    errors: FormErrors,
) -> dict[str, Any]:
    page, number = page_of(query)
    rows, total = sectors.list_sectors(
        session, cpts_id=user.principal.cpts_id, page=page, q=search_words(query)
    )
    return {
        "sectors": rows,
        "total": total,
        "paging": pager(query, number, total),
        "q": query.get("q", ""),
        "form_fields": SECTOR_FIELDS,
        "values": values,
        "errors": errors,
    }


SECTOR_LIST = ListPage("coord_sectors.html", _sector_list, {})


@router.get("/coordination/secteurs")
async def sector_list(request: Request, session: SessionDep, user: CoordinatorPage) -> HTMLResponse:
    """The territory's sectors and their communes, with the form to add one."""
    return await run_in_threadpool(SECTOR_LIST.show, request, session, user)


def _add_sector(request: Request, session: Session, user: WebUser, form: FormData) -> Response:
    cpts_id = user.principal.cpts_id
    result = submit(
        session,
        form,
        SECTOR_FORM,
        SectorCreate,
        lambda data: sectors.create_sector(session, cpts_id=cpts_id, data=data),
    )
    return SECTOR_LIST.after(request, session, user, result, SECTORS)


@router.post("/coordination/secteurs")
async def add_sector(
    request: Request, session: SessionDep, user: CoordinatorPage, form: SignedForm
) -> Response:
    """Add a sector (a name unique in the CPTS, its communes)."""
    return await run_in_threadpool(_add_sector, request, session, user, form)


def _sector_form(
    request: Request, sector_id: int, values: dict[str, Any], errors: FormErrors
) -> HTMLResponse:
    return edit_form(
        request,
        title="Modifier le secteur",
        action=f"{SECTORS}/{sector_id}/modifier",
        back=(SECTORS, "les secteurs"),
        fields=SECTOR_FIELDS,
        values=values,
        errors=errors,
    )


@router.get("/coordination/secteurs/{sector_id}/modifier")
async def edit_sector(
    request: Request, session: SessionDep, user: CoordinatorPage, sector_id: EntityId
) -> HTMLResponse:
    """The form to rename a sector or change its communes."""
    sector = await run_in_threadpool(
        sectors.get_sector, session, cpts_id=user.principal.cpts_id, sector_id=sector_id
    )
    return _sector_form(request, sector_id, model_values(sector, SECTOR_FIELDS), FormErrors())


def _change_sector(
    request: Request, session: Session, user: WebUser, sector_id: int, form: FormData
) -> Response:
    cpts_id = user.principal.cpts_id
    sectors.get_sector(session, cpts_id=cpts_id, sector_id=sector_id)
    result = submit(
        session,
        form,
        SECTOR_FORM,
        SectorUpdate,
        lambda data: sectors.update_sector(
            session, cpts_id=cpts_id, sector_id=sector_id, data=data
        ),
    )
    if result.saved is not None:
        return RedirectResponse(SECTORS, status_code=303)
    return _sector_form(request, sector_id, result.values, result.errors)


@router.post("/coordination/secteurs/{sector_id}/modifier")
async def change_sector(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    sector_id: EntityId,
    form: SignedForm,
) -> Response:
    """Rename a sector or change its communes."""
    return await run_in_threadpool(_change_sector, request, session, user, sector_id, form)


@router.post("/coordination/secteurs/{sector_id}/supprimer")
async def remove_sector(
    session: SessionDep, user: CoordinatorPage, sector_id: EntityId, _form: SignedForm
) -> Response:
    """Remove a sector: its coverage rules go with it, its pharmacies keep no sector."""
    await run_in_threadpool(
        sectors.delete_sector, session, cpts_id=user.principal.cpts_id, sector_id=sector_id
    )
    return RedirectResponse(SECTORS, status_code=303)


# Coverage rules


def _rule_list(
    session: Session,
    user: WebUser,
    query: QueryParams,
    values: dict[str, Any],
    errors: FormErrors,
) -> dict[str, Any]:
    cpts_id = user.principal.cpts_id
    choices = _sector_choices(session, cpts_id, WHOLE_TERRITORY)
    day_kind = choice_of(query, "jour", DAY_KINDS)
    profession = choice_of(query, "profession", PROFESSIONS)
    sector = choice_of(query, "secteur", (c for c, _ in choices[1:]))
    page, number = page_of(query)
    rows, total = coverage.list_rules(
        session,
        cpts_id=cpts_id,
        day_kind=DayKind(day_kind) if day_kind else None,
        profession=Profession(profession) if profession else None,
        sector_id=int(sector) if sector else None,
        page=page,
    )
    return {
        "rules": rows,
        "total": total,
        "paging": pager(query, number, total),
        "filters": {
            "jour": day_kind or "",
            "profession": profession or "",
            "secteur": sector or "",
        },
        "sectors": dict(choices[1:]),
        "form_fields": RULE_FORM.offering("sector_id", choices).fields,
        "values": values,
        "errors": errors,
        "row_error": (0, ""),
    }


RULE_LIST = ListPage("coord_rules.html", _rule_list, {"required": "1"})


@router.get("/coordination/regles")
async def rule_list(request: Request, session: SessionDep, user: CoordinatorPage) -> HTMLResponse:
    """Coverage rules, Monday to public holidays, filtered, with the form to add one."""
    return await run_in_threadpool(RULE_LIST.show, request, session, user)


def _add_rule(request: Request, session: Session, user: WebUser, form: FormData) -> Response:
    cpts_id = user.principal.cpts_id
    result = submit(
        session,
        form,
        RULE_FORM,
        CoverageRuleCreate,
        lambda data: coverage.create_rule(session, cpts_id=cpts_id, data=data),
    )
    return RULE_LIST.after(request, session, user, result, RULES)


@router.post("/coordination/regles")
async def add_rule(
    request: Request, session: SessionDep, user: CoordinatorPage, form: SignedForm
) -> Response:
    """Add a coverage rule (one per day, profession and sector)."""
    return await run_in_threadpool(_add_rule, request, session, user, form)


def _change_rule(
    request: Request, session: Session, user: WebUser, rule_id: int, form: FormData
) -> Response:
    cpts_id = user.principal.cpts_id
    coverage.get_rule(session, cpts_id=cpts_id, rule_id=rule_id)
    result = submit(
        session,
        form,
        REQUIRED_FORM,
        CoverageRuleUpdate,
        lambda data: coverage.update_rule(session, cpts_id=cpts_id, rule_id=rule_id, data=data),
    )
    if result.saved is not None:
        return RedirectResponse(RULES, status_code=303)
    context = _rule_list(session, user, QueryParams(), RULE_LIST.empty, FormErrors())
    context["row_error"] = (rule_id, result.errors.required)
    return render(request, "coord_rules.html", context, status=422)


@router.post("/coordination/regles/{rule_id}")
async def change_rule(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    rule_id: EntityId,
    form: SignedForm,
) -> Response:
    """Change how many practitioners a rule asks for."""
    return await run_in_threadpool(_change_rule, request, session, user, rule_id, form)


@router.post("/coordination/regles/{rule_id}/supprimer")
async def remove_rule(
    session: SessionDep, user: CoordinatorPage, rule_id: EntityId, _form: SignedForm
) -> Response:
    """Remove a rule: that day, profession and sector then need nobody."""
    await run_in_threadpool(
        coverage.delete_rule, session, cpts_id=user.principal.cpts_id, rule_id=rule_id
    )
    return RedirectResponse(RULES, status_code=303)
