"""A thread in the pages: its messages (an audited read) marked read on display, the form
that posts to it, and the fragment of newer messages the page script fetches."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.config import Settings
from app.errors import RuleViolation
from app.messaging import service as messaging
from app.messaging.schemas import MessageCreate, UnreadSummary
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.web.deps import WebUser
from app.web.forms import FormErrors, parse_model, text
from app.web.views import zone_of

ThreadOf = Callable[[Session, WebUser, datetime], messaging.Thread]
MESSAGE_ERRORS = {
    "body": "Écrivez un message de 1 à 2 000 caractères.",
    "identity": (
        "Pas d'identité de patient sur le canal : ce message contient un numéro de "
        "téléphone ou une date de naissance. Écrivez-le dans le fil de l'orientation."
    ),
    "date": "Le canal d'un autre jour ne prend plus de messages.",
}


def thread_view(
    session: Session,
    user: WebUser,
    thread: messaging.Thread,
    now: datetime,
    *,
    address: str,
    draft: str = "",
    errors: FormErrors | None = None,
) -> dict[str, Any]:
    """What ``thread.html`` shows: the messages (audited read), marked read, and the form
    posting to ``address`` (which also serves the fragment of newer messages)."""
    rows, _ = messaging.list_messages(
        session,
        principal=user.principal,
        thread=thread,
        after=None,
        page=PageParams(limit=MAX_PAGE_SIZE, offset=0),
    )
    messaging.mark_read(session, principal=user.principal, thread=thread, up_to=None, now=now)
    return {
        "key": thread.key,
        "messages": rows,
        "address": address,
        "draft": draft,
        "errors": errors or FormErrors(),
        "zone": zone_of(session, thread.cpts_id),
        "me_id": user.principal.user_id,
    }


def fragment_view(
    session: Session, user: WebUser, thread: messaging.Thread, after: int | None, now: datetime
) -> dict[str, Any]:
    """The messages newer than ``after`` (an audited read), marked read."""
    rows, _ = messaging.list_messages(
        session,
        principal=user.principal,
        thread=thread,
        after=after,
        page=PageParams(limit=MAX_PAGE_SIZE, offset=0),
    )
    if rows:
        messaging.mark_read(
            session, principal=user.principal, thread=thread, up_to=rows[-1].id, now=now
        )
    return {
        "messages": rows,
        "zone": zone_of(session, thread.cpts_id),
        "me_id": user.principal.user_id,
    }


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def post_from_form(
    request: Request,
    session: Session,
    user: WebUser,
    now: datetime,
    form: FormData,
    thread: messaging.Thread,
) -> FormErrors:
    """Post the form's message; the French errors to show beside the field (none: posted)."""
    errors = FormErrors()
    draft = text(form, "body")
    data = parse_model(MessageCreate, {"body": draft}, errors, MESSAGE_ERRORS)
    if data is None:
        return errors
    try:
        messaging.post(
            session,
            principal=user.principal,
            thread=thread,
            body=data.body,
            now=now,
            settings=_settings(request),
        )
    except RuleViolation as refused:
        if refused.field == "body":
            errors["body"] = MESSAGE_ERRORS["identity"]
        elif refused.field == "date":
            errors["body"] = MESSAGE_ERRORS["date"]
        else:
            raise
    return errors


def referral_thread_of(referral_id: int) -> ThreadOf:
    """Opens the thread of a referral the user may see (404 otherwise)."""

    def thread_of(session: Session, user: WebUser, _now: datetime) -> messaging.Thread:
        return messaging.referral_thread(session, principal=user.principal, referral_id=referral_id)

    return thread_of


def todays_channel(session: Session, user: WebUser, now: datetime) -> messaging.Thread:
    """Today's on-call channel of the user's CPTS (403 for a practitioner not on call)."""
    today = messaging.local_today(session, user.principal.cpts_id, now)
    return messaging.channel_thread(session, principal=user.principal, day=today)


def unread_now(session: Session, user: WebUser, now: datetime) -> UnreadSummary:
    """The navigation's unread counts once a page has marked its thread read."""
    return messaging.unread(session, principal=user.principal, now=now)
