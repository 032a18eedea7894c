"""HTTP routes for messages: a referral's thread, the on-call channel of a day, read marks
and unread counts."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.orm import Session

from app.auth import CurrentUser, Principal
from app.clock import NowDep
from app.config import Settings
from app.db import SessionDep, writes_on_read
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses
from app.messaging import service
from app.messaging.models import Message
from app.messaging.schemas import (
    MarkRead,
    MessageCreate,
    MessageMeta,
    MessagePublic,
    ThreadUnread,
    UnreadSummary,
)
from app.pagination import Page, PageDep
from app.ratelimits.deps import per_token
from app.ratelimits.limiter import Family
from app.types import CalendarDate, EntityId
from app.users.models import Role

router = APIRouter(
    prefix="/v1", tags=["messages"], dependencies=[Depends(per_token(Family.messages))]
)

After = Annotated[EntityId | None, Query(description="only messages newer than this message id")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def message_views(
    principal: Principal, thread: service.Thread, rows: Sequence[Message]
) -> list[MessagePublic] | list[MessageMeta]:
    """Messages as the caller may see them: without author nor text for the coordinator
    reading a referral's thread (patient data), in full otherwise."""
    if thread.referral is not None and principal.role == Role.coordinator:
        return [MessageMeta.model_validate(m) for m in rows]
    return [MessagePublic.model_validate(m) for m in rows]


def _page(
    session: Session, user: Principal, thread: service.Thread, after: int | None, page: PageDep
) -> Page[MessagePublic] | Page[MessageMeta]:
    rows, total = service.list_messages(
        session, principal=user, thread=thread, after=after, page=page
    )
    items = message_views(user, thread, rows)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/referrals/{referral_id}/messages",
    summary="Read a referral's messages",
    response_model=Page[MessagePublic] | Page[MessageMeta],
    responses=error_responses(NotFound),
)
@writes_on_read
def referral_messages(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    referral_id: EntityId,
    after: After = None,
) -> Page[MessagePublic] | Page[MessageMeta]:
    """The thread between the booking pharmacy and the practitioner, oldest first; the
    coordinator sees that messages exist (when, from which role), not their text. Audited."""
    thread = service.referral_thread(session, principal=user, referral_id=referral_id)
    return _page(session, user, thread, after, page)


@router.post(
    "/referrals/{referral_id}/messages",
    summary="Write in a referral's thread",
    response_model=MessagePublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound, Forbidden, Conflict, service.TooManyMessages),
)
def post_referral_message(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    referral_id: EntityId,
    data: MessageCreate,
) -> MessagePublic:
    """The booking pharmacy or the practitioner writes (1 to 2,000 characters); the
    other side gets a ``message.posted`` event. 429 with ``Retry-After`` past the rate."""
    thread = service.referral_thread(session, principal=user, referral_id=referral_id)
    message = service.post(
        session, principal=user, thread=thread, body=data.body, now=now, settings=_settings(request)
    )
    return MessagePublic.model_validate(message)


@router.post(
    "/referrals/{referral_id}/messages/read",
    summary="Mark a referral's thread read",
    response_model=ThreadUnread,
    responses=error_responses(NotFound, Forbidden, RuleViolation),
)
def mark_referral_read(
    session: SessionDep, user: CurrentUser, now: NowDep, referral_id: EntityId, data: MarkRead
) -> ThreadUnread:
    """Read up to a message (the latest by default); answers what is left unread."""
    thread = service.referral_thread(session, principal=user, referral_id=referral_id)
    return service.mark_read(session, principal=user, thread=thread, up_to=data.up_to, now=now)


@router.get(
    "/channel/{day}/messages",
    summary="Read the on-call channel of a day",
    response_model=Page[MessagePublic],
    responses=error_responses(Forbidden),
)
def channel_messages(
    session: SessionDep, user: CurrentUser, page: PageDep, day: CalendarDate, after: After = None
) -> Page[MessagePublic] | Page[MessageMeta]:
    """The CPTS's channel of ``day`` (YYYY-MM-DD): for its coordinators and pharmacists,
    and the practitioners on call that day. Oldest first."""
    thread = service.channel_thread(session, principal=user, day=day)
    return _page(session, user, thread, after, page)


@router.post(
    "/channel/{day}/messages",
    summary="Write in today's on-call channel",
    response_model=MessagePublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Forbidden, RuleViolation, service.TooManyMessages),
)
def post_channel_message(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    day: CalendarDate,
    data: MessageCreate,
) -> MessagePublic:
    """Write to the on-call team of today. No patient identity: a message holding a phone
    number or a birth date is refused (422 on ``body``)."""
    thread = service.channel_thread(session, principal=user, day=day)
    message = service.post(
        session, principal=user, thread=thread, body=data.body, now=now, settings=_settings(request)
    )
    return MessagePublic.model_validate(message)


@router.post(
    "/channel/{day}/messages/read",
    summary="Mark the channel of a day read",
    response_model=ThreadUnread,
    responses=error_responses(Forbidden, RuleViolation),
)
def mark_channel_read(
    session: SessionDep, user: CurrentUser, now: NowDep, day: CalendarDate, data: MarkRead
) -> ThreadUnread:
    """Read up to a message (the latest by default); answers what is left unread."""
    thread = service.channel_thread(session, principal=user, day=day)
    return service.mark_read(session, principal=user, thread=thread, up_to=data.up_to, now=now)


@router.get("/messages/unread", summary="Count my unread messages", response_model=UnreadSummary)
def unread_messages(session: SessionDep, user: CurrentUser, now: NowDep) -> UnreadSummary:
    """Unread messages in total and per thread: the referral threads I take part in and
    today's on-call channel (if I may open it)."""
    return service.unread(session, principal=user, now=now)
