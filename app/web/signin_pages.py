"""Sign-in pages: ask for a link, use a link, sign out, and "mes sessions"."""

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter

from app.clock import NowDep
from app.db import SessionDep
from app.notifications.schemas import EmailAddress
from app.signin import service
from app.types import EntityId
from app.users.models import Role
from app.web.deps import (
    ANONYMOUS_CSRF_COOKIE,
    SESSION_COOKIE,
    AnonymousForm,
    PageRoute,
    SignedForm,
    WebUserDep,
    anonymous_csrf,
    client_ip,
    set_cookie,
)
from app.web.forms import FormErrors, parse_field
from app.web.templating import render
from app.web.views import zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

EMAIL: TypeAdapter[str] = TypeAdapter(EmailAddress)
HOMES = {
    Role.pharmacist: "/orienter",
    Role.practitioner: "/praticien",
    Role.coordinator: "/coordination",
}


def _anonymous_page(request: Request, template: str, context: dict[str, object]) -> HTMLResponse:
    token = anonymous_csrf(request)
    response = render(request, template, context)
    set_cookie(request, response, ANONYMOUS_CSRF_COOKIE, token)
    return response


@router.get("/")
def home(user: WebUserDep) -> Response:
    """Each role's home page."""
    home_page = HOMES.get(user.principal.role)
    return RedirectResponse(home_page or "/sessions", status_code=303)


@router.get("/connexion")
def sign_in_page(request: Request) -> HTMLResponse:
    """Ask for a sign-in link by e-mail."""
    return _anonymous_page(request, "signin.html", {"email": "", "errors": FormErrors()})


@router.post("/connexion")
async def ask_for_link(
    request: Request, session: SessionDep, now: NowDep, form: AnonymousForm
) -> HTMLResponse:
    """Send a link if the address is known; the answer is the same either way."""
    errors = FormErrors()
    email = parse_field(form, "email", EMAIL, errors, "Indiquez une adresse e-mail valide.")
    if email is None:
        context = {"email": form.get("email", ""), "errors": errors}
        return render(request, "signin.html", context, status=422)
    await run_in_threadpool(
        service.request_link,
        session,
        email=email,
        ip=client_ip(request),
        now=now,
        settings=request.app.state.settings,
    )
    return render(request, "signin_sent.html", {"email": email})


@router.get("/connexion/lien/{secret}")
def link_page(request: Request, secret: str) -> HTMLResponse:
    """A link from an e-mail: one button signs in (mail scanners that open links do not)."""
    return _anonymous_page(request, "signin_link.html", {"secret": secret})


@router.post("/connexion/lien/{secret}")
async def use_link(
    request: Request, session: SessionDep, now: NowDep, secret: str, _form: AnonymousForm
) -> Response:
    """Use the link once and open a session."""
    _, cookie = await run_in_threadpool(
        service.consume_link,
        session,
        secret=secret,
        now=now,
        user_agent=request.headers.get("user-agent", ""),
        ip=client_ip(request),
    )
    response = RedirectResponse("/", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, cookie)
    response.delete_cookie(ANONYMOUS_CSRF_COOKIE, path="/")
    return response


@router.post("/deconnexion")
async def sign_out(
    session: SessionDep, now: NowDep, user: WebUserDep, _form: SignedForm
) -> Response:
    """End this session."""
    await run_in_threadpool(
        service.end_session, session, principal=user.principal, session_id=user.session_id, now=now
    )
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/sessions")
async def my_sessions(
    request: Request, session: SessionDep, now: NowDep, user: WebUserDep
) -> HTMLResponse:
    """Mes sessions: where I am signed in, each with a button to end it."""
    settings = request.app.state.settings
    rows = await run_in_threadpool(
        service.list_sessions,
        session,
        principal=user.principal,
        now=now,
        idle=timedelta(hours=settings.session_idle_hours),
    )
    zone = await run_in_threadpool(zone_of, session, user.principal.cpts_id)
    return render(request, "sessions.html", {"sessions": rows, "zone": zone})


@router.post("/sessions/{session_id}/fin")
async def end_session(
    session: SessionDep, now: NowDep, user: WebUserDep, session_id: EntityId, _form: SignedForm
) -> Response:
    """End one of my sessions (this one included)."""
    await run_in_threadpool(
        service.end_session, session, principal=user.principal, session_id=session_id, now=now
    )
    target = "/connexion" if session_id == user.session_id else "/sessions"
    return RedirectResponse(target, status_code=303)
