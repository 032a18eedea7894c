"""HTTP routes: a user's notification channels, and their notifications' delivery status."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.auth import CurrentUser
from app.db import SessionDep
from app.errors import RuleViolation, error_responses
from app.notifications import inbox
from app.notifications.models import DeliveryStatus
from app.notifications.schemas import ChannelsPublic, ChannelsUpdate, NotificationPublic
from app.pagination import Page, PageDep
from app.types import Instant

router = APIRouter(prefix="/v1", tags=["notifications"])


@router.get(
    "/me/notification-channels",
    summary="Read your notification channels",
    response_model=ChannelsPublic,
)
def read_channels(session: SessionDep, user: CurrentUser) -> ChannelsPublic:
    """The caller's e-mail and webhook channels (webhook secrets are never shown)."""
    return inbox.get_channels(session, principal=user)


@router.put(
    "/me/notification-channels",
    summary="Set your notification channels",
    response_model=ChannelsPublic,
    responses=error_responses(RuleViolation),
)
def replace_channels(
    session: SessionDep, user: CurrentUser, data: ChannelsUpdate, request: Request
) -> ChannelsPublic:
    """Set the caller's channels; a channel left out is turned off. A webhook must be an
    http(s) URL whose host resolves to public addresses only (422 naming ``webhook.url``)."""
    allowed = request.app.state.settings.webhook_allowed_networks
    return inbox.set_channels(session, principal=user, data=data, allowed_networks=allowed)


@router.get(
    "/notifications",
    summary="List notifications and their delivery",
    response_model=Page[NotificationPublic],
)
def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status: DeliveryStatus | None = None,
    since: Annotated[Instant | None, Query(alias="from")] = None,
    until: Annotated[Instant | None, Query(alias="to")] = None,
) -> Page[NotificationPublic]:
    """The caller's notifications, newest first, with delivery status; the coordinator
    with ``status=failed`` sees every failed delivery of the CPTS."""
    rows, total = inbox.list_notifications(
        session, principal=user, page=page, status=status, since=since, until=until
    )
    items = [NotificationPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
