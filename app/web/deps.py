"""Who is signed in (a session row checked on every request), CSRF checks, page errors."""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from app.auth import Principal
from app.clock import NowDep
from app.config import Settings
from app.db import SessionDep, declare_write_intent, route_writes
from app.errors import Forbidden, Unauthorized, retry_after
from app.messaging import service as messaging
from app.messaging.schemas import UnreadSummary
from app.observability.context import note_cpts
from app.signin import service
from app.users.models import Role
from app.web.templating import render

SESSION_COOKIE = "snp_session"
ANONYMOUS_CSRF_COOKIE = "snp_csrf"
CSRF_FIELD = "csrf"
TOUCH_EVERY = timedelta(minutes=5)
"""A session's last activity is written at most this often (idle expiry has minutes to spare)."""

ERROR_PAGES = {
    403: ("Accès refusé", "Cette page n'est pas accessible avec votre compte."),
    404: ("Page introuvable", "Cette page n'existe pas, ou plus."),
    409: ("Action impossible", "Cette action n'est plus possible : rechargez la page."),
    410: (
        "Lien expiré ou déjà utilisé",
        "Ce lien de connexion ne fonctionne plus. Demandez-en un nouveau.",
    ),
    422: ("Demande invalide", "La demande n'a pas pu être comprise."),
    429: (
        "Trop de demandes",
        "Trop de liens ont été demandés. Réessayez dans une heure.",
    ),
    500: ("Erreur interne", "Une erreur est survenue. Réessayez dans un instant."),
    503: (
        "Service momentanément occupé",
        "Le service est très sollicité : réessayez dans un instant.",
    ),
}
CODE_PAGES = {
    "too_many_messages": (
        "Trop de messages",
        "Vous avez envoyé beaucoup de messages en peu de temps : réessayez dans une minute.",
    ),
    "csrf_rejected": (
        "Formulaire expiré",
        "Ce formulaire a expiré. Rechargez la page, puis recommencez.",
    ),
}


class PageRoute(APIRoute):
    """A route answering HTML: its errors are French pages, and 401 leads to sign-in."""

    def render_error(self, request: Request, status: int, code: str) -> Response:
        """The page for an error raised while serving this route."""
        if status == 401:
            return RedirectResponse("/connexion", status_code=303)
        title, text = CODE_PAGES.get(code) or ERROR_PAGES.get(status, ERROR_PAGES[500])
        response = render(request, "error.html", {"title": title, "text": text}, status=status)
        response.headers.update(retry_after(status))
        return response


class CsrfRejected(Forbidden):
    """A state-changing form without the right CSRF token."""

    code = "csrf_rejected"


@dataclass(frozen=True)
class WebUser:
    """The signed-in user of a page: their principal, session, CSRF token and unread
    messages (the navigation's badges)."""

    principal: Principal
    session_id: int
    display_name: str
    csrf: str
    unread: UnreadSummary


def _idle(request: Request) -> timedelta:
    settings: Settings = request.app.state.settings
    return timedelta(hours=settings.session_idle_hours)


def _touch_apart(factory: sessionmaker[Session], session_id: int, now: datetime) -> None:
    with factory() as session, session.begin():
        declare_write_intent(session)
        service.touch(session, session_id=session_id, now=now)


def _web_user(
    session: Session, secret: str, now: datetime, idle: timedelta
) -> tuple[WebUser, datetime] | None:
    found = service.resolve_session(session, secret=secret, now=now, idle=idle)
    if found is None:
        return None
    web_session, user = found
    principal = service.principal_of(user)
    web_user = WebUser(
        principal=principal,
        session_id=web_session.id,
        display_name=user.display_name,
        csrf=web_session.csrf_token,
        unread=messaging.unread(session, principal=principal, now=now),
    )
    return web_user, web_session.last_seen_at


async def current_web_user(request: Request, session: SessionDep, now: NowDep) -> WebUser:
    """The user of the session cookie, checked against its row on every request."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthorized("sign in first")
    found = await run_in_threadpool(_web_user, session, secret, now, _idle(request))
    if found is None:
        raise Unauthorized("this session has ended")
    web_user, last_seen_at = found
    note_cpts(web_user.principal.cpts_id)
    if now - last_seen_at > TOUCH_EVERY:
        if route_writes(request):  # this request holds the write transaction already
            await run_in_threadpool(service.touch, session, session_id=web_user.session_id, now=now)
        else:
            # A reader: end its read transaction, then write the touch in a short one of its
            # own (bounded by the database's lock wait, like every write).
            await run_in_threadpool(session.rollback)
            factory = request.app.state.session_factory
            await run_in_threadpool(_touch_apart, factory, web_user.session_id, now)
    request.state.web_user = web_user
    request.state.csrf = web_user.csrf
    request.state.unread = web_user.unread
    return web_user


WebUserDep = Annotated[WebUser, Depends(current_web_user)]


def page_for(*roles: Role) -> Callable[[WebUser], Awaitable[WebUser]]:
    """A dependency letting only these roles open a page (a French 403 page otherwise)."""

    async def check(user: WebUserDep) -> WebUser:
        if user.principal.role not in roles:
            raise Forbidden("this page is for another role")
        return user

    return check


PharmacistPage = Annotated[WebUser, Depends(page_for(Role.pharmacist))]
PractitionerPage = Annotated[WebUser, Depends(page_for(Role.practitioner))]
ReferrerPage = Annotated[WebUser, Depends(page_for(Role.pharmacist, Role.practitioner))]
"""Who books slots for patients: a pharmacist, or a practitioner (a GP for a physio)."""
CoordinatorPage = Annotated[WebUser, Depends(page_for(Role.coordinator))]


def _same(expected: str, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and secrets.compare_digest(expected, given)


async def signed_form(request: Request, user: WebUserDep) -> FormData:
    """The posted form of a signed-in user, once its CSRF token matches their session's."""
    form = await request.form()
    if not _same(user.csrf, form.get(CSRF_FIELD)):
        raise CsrfRejected("missing or wrong CSRF token")
    return form


async def anonymous_form(request: Request) -> FormData:
    """A form posted before sign-in: its CSRF token must match the browser's CSRF cookie."""
    form = await request.form()
    if not _same(request.cookies.get(ANONYMOUS_CSRF_COOKIE, ""), form.get(CSRF_FIELD)):
        raise CsrfRejected("missing or wrong CSRF token")
    return form


SignedForm = Annotated[FormData, Depends(signed_form)]
AnonymousForm = Annotated[FormData, Depends(anonymous_form)]


def anonymous_csrf(request: Request) -> str:
    """The browser's pre-sign-in CSRF token (a new one if it has none yet)."""
    token = request.cookies.get(ANONYMOUS_CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.state.csrf = token
    return token


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """An HttpOnly, SameSite=Lax cookie, Secure when the service is served over HTTPS."""
    settings: Settings = request.app.state.settings
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def client_ip(request: Request) -> str:
    """The peer's address (behind a proxy, uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "unknown"
