"""Messages in the pages: the practitioner's patient view with its thread, the on-call
channel of the day (``/canal``), posting by plain forms (CSRF, no JavaScript needed) and the
HTML fragments of new messages the page script fetches on ``snp:message.posted``."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.clock import NowDep
from app.db import SessionDep, writes_on_read
from app.messaging import service as messaging
from app.referrals import service as referrals
from app.types import EntityId
from app.web.deps import (
    PageRoute,
    PractitionerPage,
    ReferrerPage,
    SignedForm,
    WebUser,
    WebUserDep,
)
from app.web.forms import FormErrors, text
from app.web.pharmacy_pages import confirmation_context
from app.web.templating import render
from app.web.threads import (
    ThreadOf,
    fragment_view,
    post_from_form,
    referral_thread_of,
    thread_view,
    todays_channel,
    unread_now,
)
from app.web.views import zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)


async def _fragment_page(
    request: Request,
    session: Session,
    user: WebUser,
    now: datetime,
    thread_of: ThreadOf,
    after: int | None,
) -> HTMLResponse:
    def build() -> dict[str, Any]:
        return fragment_view(session, user, thread_of(session, user, now), after, now)

    return render(request, "thread_items.html", await run_in_threadpool(build))


# --- the channel of the day ---------------------------------------------------------------


def _channel_page(
    session: Session,
    user: WebUser,
    now: datetime,
    draft: str = "",
    errors: FormErrors | None = None,
) -> dict[str, Any]:
    thread = todays_channel(session, user, now)
    assert thread.day is not None
    view = thread_view(session, user, thread, now, address="/canal", draft=draft, errors=errors)
    return {"day": thread.day, "thread": view, "unread": unread_now(session, user, now)}


@router.get("/canal")
@writes_on_read
async def channel(
    request: Request, session: SessionDep, now: NowDep, user: WebUserDep
) -> HTMLResponse:
    """Today's on-call channel of the CPTS."""
    context = await run_in_threadpool(_channel_page, session, user, now)
    return render(request, "channel.html", context)


@router.post("/canal")
async def post_to_channel(
    request: Request, session: SessionDep, now: NowDep, user: WebUserDep, form: SignedForm
) -> Response:
    """Write to today's channel (refused, with the text kept, if it names a patient)."""

    def run() -> Response:
        thread = todays_channel(session, user, now)
        errors = post_from_form(request, session, user, now, form, thread)
        if not errors:
            return RedirectResponse("/canal#messages", status_code=303)
        context = _channel_page(session, user, now, draft=text(form, "body"), errors=errors)
        return render(request, "channel.html", context, status=422)

    return await run_in_threadpool(run)


@router.get("/canal/messages")
@writes_on_read
async def channel_fragment(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: WebUserDep,
    apres: EntityId | None = None,
) -> HTMLResponse:
    """Today's channel messages newer than ``apres`` (HTML fragment for the page script)."""
    return await _fragment_page(request, session, user, now, todays_channel, apres)


# --- a referral's thread: the pharmacist's referral view -----------------------------------


@router.post("/orientations/{referral_id}/messages")
async def pharmacist_posts(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: ReferrerPage,
    referral_id: EntityId,
    form: SignedForm,
) -> Response:
    """Write to the referral's practitioner, from the referral view."""
    return await _post_to_referral(
        request, session, now, user, referral_id, form, page=f"/orientations/{referral_id}"
    )


@router.get("/orientations/{referral_id}/messages")
@writes_on_read
async def pharmacist_fragment(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: ReferrerPage,
    referral_id: EntityId,
    apres: EntityId | None = None,
) -> HTMLResponse:
    """The referral's messages newer than ``apres`` (HTML fragment, audited)."""
    return await _fragment_page(request, session, user, now, referral_thread_of(referral_id), apres)


# --- a referral's thread: the practitioner's patient view ----------------------------------


def _patient_page(
    session: Session,
    user: WebUser,
    now: datetime,
    referral_id: int,
    draft: str = "",
    errors: FormErrors | None = None,
) -> dict[str, Any]:
    referral = referrals.get_referral(session, principal=user.principal, referral_id=referral_id)
    thread = messaging.Thread(messaging.referral_key(referral.id), referral.cpts_id, referral)
    address = f"/praticien/patients/{referral.id}/messages"
    return {
        "referral": referral,
        "zone": zone_of(session, referral.cpts_id),
        "thread": thread_view(
            session, user, thread, now, address=address, draft=draft, errors=errors
        ),
        "unread": unread_now(session, user, now),
    }


@router.get("/praticien/patients/{referral_id}")
@writes_on_read
async def patient(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: PractitionerPage,
    referral_id: EntityId,
) -> HTMLResponse:
    """One referred patient and the thread with the pharmacy (audited)."""
    context = await run_in_threadpool(_patient_page, session, user, now, referral_id)
    return render(request, "patient.html", context)


@router.post("/praticien/patients/{referral_id}/messages")
async def practitioner_posts(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: PractitionerPage,
    referral_id: EntityId,
    form: SignedForm,
) -> Response:
    """Write to the pharmacy that referred the patient."""
    return await _post_to_referral(
        request, session, now, user, referral_id, form, page=f"/praticien/patients/{referral_id}"
    )


@router.get("/praticien/patients/{referral_id}/messages")
@writes_on_read
async def practitioner_fragment(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: PractitionerPage,
    referral_id: EntityId,
    apres: EntityId | None = None,
) -> HTMLResponse:
    """The referral's messages newer than ``apres`` (HTML fragment, audited)."""
    return await _fragment_page(request, session, user, now, referral_thread_of(referral_id), apres)


async def _post_to_referral(
    request: Request,
    session: Session,
    now: datetime,
    user: WebUser,
    referral_id: int,
    form: FormData,
    *,
    page: str,
) -> Response:
    """Post, then back to the page; a refused message comes back in its form, explained."""

    def run() -> Response:
        thread = referral_thread_of(referral_id)(session, user, now)
        errors = post_from_form(request, session, user, now, form, thread)
        if not errors:
            return RedirectResponse(f"{page}#messages", status_code=303)
        draft = text(form, "body")
        if page.startswith("/orientations/"):
            context = confirmation_context(session, user, now, referral_id, draft, errors)
            return render(request, "confirmation.html", context, status=422)
        context = _patient_page(session, user, now, referral_id, draft, errors)
        return render(request, "patient.html", context, status=422)

    return await run_in_threadpool(run)
