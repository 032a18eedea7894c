"""Open requests ("Demandes") in the browser: post one when no slot fits, the requests
offered to a practitioner's profession with "Accepter", and the requester's own."""

import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.care_requests import service as requests
from app.care_requests.models import CareRequest, CareRequestStatus, WishedDelay
from app.care_requests.schemas import CareRequestCreate
from app.clock import NowDep
from app.db import SessionDep, writes_on_read
from app.errors import DomainError
from app.french import spoken_instant
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.referrals.models import ReasonCategory
from app.types import EntityId
from app.users.models import Role
from app.web.deps import PageRoute, ReferrerPage, SignedForm, WebUser
from app.web.forms import FormErrors, parse_model, patient_values, text
from app.web.pharmacy_pages import PATIENT_MESSAGES
from app.web.templating import render
from app.web.views import zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FORM_MESSAGES = {
    **PATIENT_MESSAGES,
    "profession": "Choisissez une profession.",
    "act": "Décrivez l'acte ou la compétence attendue (200 caractères au plus).",
    "equipment": "L'équipement fait 200 caractères au plus.",
    "commune_insee": "Indiquez le code INSEE de la commune du patient (5 caractères, ex. 69259).",
    "wished_delay": "Choisissez un délai.",
}
REFUSALS = {
    "request_taken": "Trop tard : un confrère vient d'accepter cette demande.",
    "request_expired": "Cette demande a expiré : son échéance est passée.",
}


def _list_page(session: Session, user: WebUser, now: datetime, notice: str = "") -> dict[str, Any]:
    everything = PageParams(limit=MAX_PAGE_SIZE, offset=0)
    offered: list[CareRequest] = []
    if user.principal.role == Role.practitioner:
        offered, _ = requests.list_requests(
            session,
            principal=user.principal,
            page=everything,
            status=CareRequestStatus.open,
            mine=False,
            now=now,
        )
        offered = [r for r in offered if not requests.is_requester(user.principal, r)]
    mine, _ = requests.list_requests(
        session, principal=user.principal, page=everything, status=None, mine=True, now=now
    )
    accepted = [
        r
        for r in requests.list_requests(
            session,
            principal=user.principal,
            page=everything,
            status=CareRequestStatus.accepted,
            mine=False,
            now=now,
        )[0]
        if r.accepted_by_practitioner_id == user.principal.practitioner_id
    ]
    return {
        "offered": offered,
        "mine": mine,
        "accepted": accepted,
        "names": requests.requester_names(session, [*offered, *mine, *accepted]),
        "status_of": lambda r: requests.effective_status(r, now).value,
        "notice": notice,
        "zone": zone_of(session, user.principal.cpts_id),
        "now": now,
        "spoken": spoken_instant,
    }


@router.get("/demandes")
@writes_on_read
async def request_list(
    request: Request, session: SessionDep, now: NowDep, user: ReferrerPage
) -> HTMLResponse:
    """The requests offered to my profession (with "Accepter"), those I accepted, mine."""
    context = await run_in_threadpool(_list_page, session, user, now)
    return render(request, "requests.html", context)


def _form_context(values: dict[str, str], errors: FormErrors) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "idempotency_key": secrets.token_urlsafe(16),
        "reasons_order": [r.value for r in ReasonCategory],
        "delays": [d.value for d in WishedDelay],
    }


@router.get("/demandes/nouvelle")
async def request_form(request: Request, user: ReferrerPage) -> HTMLResponse:
    """The form to post a request (profession prefilled from the query string)."""
    values = {"profession": request.query_params.get("profession", ""), "wished_delay": "today"}
    return render(request, "request_form.html", _form_context(values, FormErrors()))


def _request_data(form: FormData, errors: FormErrors) -> CareRequestCreate | None:
    data = {
        "profession": text(form, "profession") or None,
        "act": text(form, "act"),
        "equipment": text(form, "equipment") or None,
        "home_visit": text(form, "home_visit") == "oui",
        "commune_insee": text(form, "commune_insee"),
        "wished_delay": text(form, "wished_delay") or None,
        **patient_values(form),
    }
    return parse_model(CareRequestCreate, data, errors, FORM_MESSAGES)


def _post(
    request: Request, session: Session, user: WebUser, now: datetime, form: FormData
) -> Response:
    errors = FormErrors()
    values = {name: text(form, name) for name in form}
    data = _request_data(form, errors)
    key = text(form, "idem")
    if data is None or not 8 <= len(key) <= 64:
        return render(request, "request_form.html", _form_context(values, errors), status=422)
    posted, _ = requests.post_request(
        session, principal=user.principal, data=data, key=key, now=now
    )
    return RedirectResponse(f"/demandes/{posted.id}", status_code=303)


@router.post("/demandes/nouvelle")
async def post_request(
    request: Request, session: SessionDep, now: NowDep, user: ReferrerPage, form: SignedForm
) -> Response:
    """Post the request to the practitioners of its profession, then show it."""
    return await run_in_threadpool(_post, request, session, user, now, form)


def _detail(session: Session, user: WebUser, now: datetime, request_id: int) -> dict[str, Any]:
    found = requests.get_request(session, principal=user.principal, request_id=request_id)
    return {
        "r": found,
        "status": requests.effective_status(found, now).value,
        "identity": requests.sees_identity(user.principal, found),
        "is_requester": requests.is_requester(user.principal, found),
        "name": requests.requester_names(session, [found])[found.id],
        "zone": zone_of(session, user.principal.cpts_id),
        "now": now,
        "spoken": spoken_instant,
    }


@router.get("/demandes/{request_id}")
@writes_on_read
async def request_detail(
    request: Request, session: SessionDep, now: NowDep, user: ReferrerPage, request_id: EntityId
) -> HTMLResponse:
    """One request: the patient's identity for its requester and whoever accepted it."""
    context = await run_in_threadpool(_detail, session, user, now, request_id)
    return render(request, "request.html", context)


def _act(
    request: Request,
    session: Session,
    user: WebUser,
    now: datetime,
    request_id: int,
    action: str,
) -> Response:
    """Accept or cancel; a lost race or an expired request comes back to the list, explained."""
    run = requests.accept if action == "accept" else requests.cancel
    try:
        run(session, principal=user.principal, request_id=request_id, now=now)
    except DomainError as refused:
        if refused.code not in REFUSALS:
            raise
        session.rollback()
        context = _list_page(session, user, now, notice=REFUSALS[refused.code])
        return render(request, "requests.html", context, status=refused.status)
    return RedirectResponse(f"/demandes/{request_id}", status_code=303)


@router.post("/demandes/{request_id}/accepter")
async def accept_request(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: ReferrerPage,
    request_id: EntityId,
    _form: SignedForm,
) -> Response:
    """Take the patient: the first practitioner to accept wins."""
    return await run_in_threadpool(_act, request, session, user, now, request_id, "accept")


@router.post("/demandes/{request_id}/annuler")
async def cancel_request(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: ReferrerPage,
    request_id: EntityId,
    _form: SignedForm,
) -> Response:
    """Withdraw one of my open requests."""
    return await run_in_threadpool(_act, request, session, user, now, request_id, "cancel")
