"""A user's side of notifications: the channels they choose, what was sent to them."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.auth import Principal
from app.errors import RuleViolation
from app.notifications import webhook_targets
from app.notifications.models import (
    ChannelKind,
    DeliveryStatus,
    Notification,
    NotificationChannel,
)
from app.notifications.schemas import ChannelPublic, ChannelsPublic, ChannelsUpdate
from app.pagination import PageParams, paginate
from app.tenancy import owned
from app.users.models import Role


def _own_channels(session: Session, principal: Principal) -> dict[str, NotificationChannel]:
    query = owned(NotificationChannel, principal.cpts_id).where(
        NotificationChannel.user_id == principal.user_id
    )
    return {c.kind: c for c in session.scalars(query)}


def _public(channel: NotificationChannel | None) -> ChannelPublic | None:
    if channel is None:
        return None
    return ChannelPublic(
        kind=ChannelKind(channel.kind), target=channel.target, enabled=channel.enabled
    )


def get_channels(session: Session, *, principal: Principal) -> ChannelsPublic:
    """The caller's channels."""
    channels = _own_channels(session, principal)
    return ChannelsPublic(
        email=_public(channels.get(ChannelKind.email.value)),
        webhook=_public(channels.get(ChannelKind.webhook.value)),
    )


@dataclass(frozen=True)
class Wanted:
    """One channel as the request sets it."""

    target: str
    secret: str | None
    enabled: bool


def _wanted(data: ChannelsUpdate) -> dict[ChannelKind, Wanted | None]:
    email, webhook = data.email, data.webhook
    return {
        ChannelKind.email: Wanted(email.address, None, email.enabled) if email else None,
        ChannelKind.webhook: (
            Wanted(str(webhook.url), webhook.secret, webhook.enabled) if webhook else None
        ),
    }


def _apply(
    session: Session,
    principal: Principal,
    kind: ChannelKind,
    current: NotificationChannel | None,
    wanted: Wanted,
) -> None:
    if current is None:
        current = NotificationChannel(
            cpts_id=principal.cpts_id, user_id=principal.user_id, kind=kind.value
        )
        session.add(current)
    current.target = wanted.target
    current.secret = wanted.secret or current.secret
    current.enabled = wanted.enabled
    if kind == ChannelKind.webhook and current.secret is None:
        raise RuleViolation("a new webhook needs a secret", field="webhook.secret")


def set_channels(
    session: Session,
    *,
    principal: Principal,
    data: ChannelsUpdate,
    allowed_networks: Sequence[webhook_targets.Network],
) -> ChannelsPublic:
    """Replace the caller's channels; one left out is turned off (kept for the history).

    A webhook must point to a public address, or to one of ``allowed_networks``.
    """
    if data.webhook is not None:
        try:
            webhook_targets.check(str(data.webhook.url), allowed=allowed_networks)
        except webhook_targets.RefusedTarget as exc:
            raise RuleViolation(
                f"this webhook cannot be called: {exc}", field="webhook.url"
            ) from exc
    channels = _own_channels(session, principal)
    for kind, wanted in _wanted(data).items():
        current = channels.get(kind.value)
        if wanted is not None:
            _apply(session, principal, kind, current, wanted)
        elif current is not None:
            current.enabled = False
    session.flush()
    return get_channels(session, principal=principal)


def list_notifications(
    session: Session,
    *,
    principal: Principal,
    page: PageParams,
    status: DeliveryStatus | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[Notification], int]:
    """The caller's notifications, newest first; the coordinator asking for failed ones
    gets every failed delivery of the CPTS."""
    query = owned(Notification, principal.cpts_id)
    if not (principal.role == Role.coordinator and status == DeliveryStatus.failed):
        query = query.where(Notification.user_id == principal.user_id)
    if status is not None:
        query = query.where(Notification.status == status.value)
    if since is not None:
        query = query.where(Notification.created_at >= since)
    if until is not None:
        query = query.where(Notification.created_at < until)
    return paginate(session, query.order_by(Notification.id.desc()), page)
