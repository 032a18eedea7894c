"""The coordinator's users: the list (search, role), add one for a practitioner, a pharmacy
or the coordination, rename, deactivate or reactivate, and invite them by e-mail to the
web pages (the same invitation as the API's ``POST /v1/users/{id}/invitations``)."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams

from app.clock import NowDep
from app.db import SessionDep
from app.errors import NotFound
from app.french import ROLES
from app.pharmacies import service as pharmacies
from app.pharmacies.schemas import PharmacyFilters
from app.practitioners import service as practitioners
from app.practitioners.schemas import PractitionerFilters
from app.signin import service as signin
from app.signin.schemas import InvitationCreate
from app.types import EntityId
from app.users import service
from app.users.models import Role
from app.users.schemas import UserCreate, UserUpdate
from app.web.admin_forms import (
    Field,
    FormSpec,
    ListPage,
    choice_of,
    every,
    page_of,
    pager,
    search_words,
    submit,
)
from app.web.deps import CoordinatorPage, PageRoute, SignedForm, WebUser
from app.web.forms import FormErrors
from app.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

USERS = "/coordination/utilisateurs"
NAME = Field(
    "display_name", "Nom affiché", "Indiquez un nom (200 caractères au plus).", required=True
)
USER_FIELDS = [
    Field(
        "role",
        "Rôle",
        "Choisissez un rôle.",
        kind="select",
        required=True,
        choices=tuple(ROLES.items()),
    ),
    NAME,
    Field(
        "practitioner_id",
        "Praticien du compte",
        "Un compte praticien agit pour un praticien : choisissez-le (et lui seul).",
        kind="select",
    ),
    Field(
        "pharmacy_id",
        "Pharmacie du compte",
        "Un compte pharmacie agit pour une pharmacie : choisissez-la (et elle seule).",
        kind="select",
    ),
]
EMAIL = Field(
    "email",
    "Adresse e-mail",
    "Indiquez une adresse e-mail valide, par exemple dr.martin@exemple.fr.",
    kind="email",
    required=True,
)
USER_FORM = FormSpec(
    tuple(USER_FIELDS),
    {
        "practitioner_id": "Ce praticien n'existe plus : rechargez la page.",
        "pharmacy_id": "Cette pharmacie n'existe plus : rechargez la page.",
    },
    "role",
)
NAME_FORM = FormSpec((NAME,), {}, "display_name")
INVITATION_FORM = FormSpec(
    (EMAIL,), {"user_id": "Ce compte est désactivé : réactivez-le avant de l'inviter."}, "email"
)


def _spec(session: Session, cpts_id: int) -> FormSpec:
    active = PractitionerFilters(active=True)
    people = every(
        lambda page: practitioners.list_practitioners(
            session, cpts_id=cpts_id, filters=active, page=page
        )
    )
    places = every(
        lambda page: pharmacies.list_pharmacies(
            session, cpts_id=cpts_id, filters=PharmacyFilters(), page=page
        )
    )
    return USER_FORM.offering(
        "practitioner_id",
        (("", "—"), *((str(p.id), f"{p.last_name} {p.first_name}") for p in people)),
    ).offering("pharmacy_id", (("", "—"), *((str(p.id), p.name) for p in places)))


def _list_page(
    session: Session,
    user: WebUser,
    query: QueryParams,
    values: dict[str, Any],
    errors: FormErrors,
) -> dict[str, Any]:
    cpts_id = user.principal.cpts_id
    role = choice_of(query, "role", ROLES)
    page, number = page_of(query)
    rows, total = service.list_users(
        session,
        cpts_id=cpts_id,
        role=Role(role) if role else None,
        page=page,
        q=search_words(query),
    )
    return {
        "users": rows,
        "total": total,
        "q": query.get("q", ""),
        "role": role or "",
        "paging": pager(query, number, total),
        "form_fields": _spec(session, cpts_id).fields,
        "values": values,
        "errors": errors,
    }


USER_LIST = ListPage("coord_users.html", _list_page, {"role": "practitioner"})


@router.get("/coordination/utilisateurs")
async def user_list(request: Request, session: SessionDep, user: CoordinatorPage) -> HTMLResponse:
    """The CPTS's users, searchable by name and role, with the form to add one."""
    return await run_in_threadpool(USER_LIST.show, request, session, user)


def _add(request: Request, session: Session, user: WebUser, form: FormData) -> Response:
    cpts_id = user.principal.cpts_id
    spec = _spec(session, cpts_id)
    result = submit(
        session,
        form,
        spec,
        UserCreate,
        lambda data: service.create_user(session, cpts_id=cpts_id, data=data),
    )
    if result.errors.pop("", None):  # the role and its practitioner or pharmacy do not match
        field = "pharmacy_id" if result.values.get("role") == "pharmacist" else "practitioner_id"
        result.errors[field] = next(f.message for f in USER_FIELDS if f.name == field)
    then = f"{USERS}/{result.saved.id}" if result.saved is not None else USERS
    return USER_LIST.after(request, session, user, result, then)


@router.post("/coordination/utilisateurs")
async def add_user(
    request: Request, session: SessionDep, user: CoordinatorPage, form: SignedForm
) -> Response:
    """Add a user; then invite them from their page."""
    return await run_in_threadpool(_add, request, session, user, form)


def _user_page(
    request: Request,
    session: Session,
    user: WebUser,
    user_id: int,
    *,
    values: dict[str, Any],
    errors: FormErrors,
    status: int = 200,
) -> HTMLResponse:
    cpts_id = user.principal.cpts_id
    target = service.get_user(session, cpts_id=cpts_id, user_id=user_id)
    bound: tuple[str, str] | None = None  # whom the account acts for: name, page
    if target.practitioner_id is not None:
        p = practitioners.get_practitioner(
            session, cpts_id=cpts_id, practitioner_id=target.practitioner_id
        )
        bound = (f"{p.first_name} {p.last_name}", f"/coordination/praticiens/{p.id}")
    elif target.pharmacy_id is not None:
        ph = pharmacies.get_pharmacy(session, cpts_id=cpts_id, pharmacy_id=target.pharmacy_id)
        bound = (ph.name, f"/coordination/pharmacies/{ph.id}/modifier")
    context = {
        "target": target,
        "bound": bound,
        "myself": target.id == user.principal.user_id,
        "sent": request.query_params.get("invitation") == "envoyee",
        "name_field": NAME,
        "email_field": EMAIL,
        "values": {"display_name": target.display_name, **values},
        "errors": errors,
    }
    return render(request, "coord_user.html", context, status=status)


@router.get("/coordination/utilisateurs/{user_id}")
async def user_page(
    request: Request, session: SessionDep, user: CoordinatorPage, user_id: EntityId
) -> HTMLResponse:
    """One user: rename, invite by e-mail, deactivate or reactivate."""
    return await run_in_threadpool(
        lambda: _user_page(request, session, user, user_id, values={}, errors=FormErrors())
    )


def _rename(
    request: Request, session: Session, user: WebUser, user_id: int, form: FormData
) -> Response:
    cpts_id = user.principal.cpts_id
    service.get_user(session, cpts_id=cpts_id, user_id=user_id)
    result = submit(
        session,
        form,
        NAME_FORM,
        UserUpdate,
        lambda data: service.update_user(session, cpts_id=cpts_id, user_id=user_id, data=data),
    )
    if result.saved is not None:
        return RedirectResponse(f"{USERS}/{user_id}", status_code=303)
    return _user_page(
        request, session, user, user_id, values=result.values, errors=result.errors, status=422
    )


@router.post("/coordination/utilisateurs/{user_id}")
async def rename_user(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    user_id: EntityId,
    form: SignedForm,
) -> Response:
    """Rename a user."""
    return await run_in_threadpool(_rename, request, session, user, user_id, form)


def _invite(
    request: Request, session: Session, user: WebUser, user_id: int, form: FormData, now: datetime
) -> Response:
    settings = request.app.state.settings
    service.get_user(session, cpts_id=user.principal.cpts_id, user_id=user_id)
    result = submit(
        session,
        form,
        INVITATION_FORM,
        InvitationCreate,
        lambda data: signin.invite(
            session,
            principal=user.principal,
            user_id=user_id,
            email=data.email,
            now=now,
            settings=settings,
        ),
    )
    if result.saved is not None:
        return RedirectResponse(f"{USERS}/{user_id}?invitation=envoyee", status_code=303)
    result.errors.setdefault("email", result.errors.pop("user_id", EMAIL.message))
    return _user_page(
        request, session, user, user_id, values=result.values, errors=result.errors, status=422
    )


@router.post("/coordination/utilisateurs/{user_id}/invitation")
async def invite_user(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: CoordinatorPage,
    user_id: EntityId,
    form: SignedForm,
) -> Response:
    """E-mail the user a single-use link to the web pages (their e-mail becomes this one)."""
    return await run_in_threadpool(_invite, request, session, user, user_id, form, now)


@router.post("/coordination/utilisateurs/{user_id}/{action}")
async def deactivate_or_reactivate(
    session: SessionDep,
    user: CoordinatorPage,
    user_id: EntityId,
    action: str,
    _form: SignedForm,
) -> Response:
    """Deactivate a user (their sessions and tokens stop at once) or reactivate them."""
    active = {"desactiver": False, "reactiver": True}.get(action)
    if active is None:
        raise NotFound(f"unknown action {action}")
    await run_in_threadpool(
        service.update_user,
        session,
        cpts_id=user.principal.cpts_id,
        user_id=user_id,
        data=UserUpdate(active=active),
    )
    return RedirectResponse(f"{USERS}/{user_id}", status_code=303)
