"""Invitations, e-mailed sign-in links and the web sessions they open.

A link is a random secret sent by e-mail through the notifications outbox; only its hash
is stored, it works once (a conditional update marks it used) and expires. The address a
link goes to is the user's e-mail channel: the invitation sets it. A web session is a row
checked on every request, so ending it (or deactivating its user) takes effect at once.
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from app.auth import Principal, hash_token
from app.config import Settings
from app.cpts.models import Cpts
from app.errors import DomainError, NotFound, RuleViolation, TooManyRequests
from app.notifications import messages
from app.notifications import service as notify
from app.notifications.models import ChannelKind, NotificationChannel
from app.signin.models import LinkKind, SignInLink, SignInRequest, WebSession
from app.tenancy import get_owned
from app.users.models import Role, User

LINK_PATH = "/connexion/lien/"


class LinkUnusable(DomainError):
    """The link is unknown, already used or expired."""

    status = 410
    code = "link_unusable"


def normalise_email(address: str) -> str:
    """Addresses are compared without surrounding spaces and case."""
    return address.strip().lower()


def _send_link(
    session: Session,
    *,
    user: User,
    kind: LinkKind,
    email: str,
    now: datetime,
    valid: timedelta,
    settings: Settings,
    message: Callable[[str, str], messages.Message],
) -> SignInLink:
    """Store a new link (its hash) and e-mail it: ``message(cpts_name, url)`` renders it.

    It goes through the user's e-mail channel only: a sign-in link never goes to a webhook.
    """
    secret = secrets.token_urlsafe(32)
    link = SignInLink(
        cpts_id=user.cpts_id,
        user_id=user.id,
        kind=kind.value,
        email=email,
        token_hash=hash_token(secret),
        created_at=now,
        expires_at=now + valid,
    )
    session.add(link)
    session.flush()
    cpts_name = session.scalars(select(Cpts.name).where(Cpts.id == user.cpts_id)).one()
    url = settings.public_base_url.rstrip("/") + LINK_PATH + secret
    notify.enqueue(
        session,
        cpts_id=user.cpts_id,
        user_ids=[user.id],
        key=f"{kind.value}:{link.id}",
        message=message(cpts_name, url),
        kinds=[ChannelKind.email],
    )
    return link


def _set_email_channel(session: Session, *, user: User, email: str) -> None:
    channel = session.scalar(
        select(NotificationChannel).where(
            NotificationChannel.user_id == user.id,
            NotificationChannel.kind == ChannelKind.email.value,
        )
    )
    if channel is None:
        channel = NotificationChannel(
            cpts_id=user.cpts_id, user_id=user.id, kind=ChannelKind.email.value
        )
        session.add(channel)
    channel.target = email
    channel.enabled = True
    session.flush()


def invite(
    session: Session,
    *,
    principal: Principal,
    user_id: int,
    email: str,
    now: datetime,
    settings: Settings,
) -> SignInLink:
    """The coordinator invites a user of the CPTS: ``email`` becomes their e-mail channel and
    receives a single-use link valid ``settings.invitation_valid_hours``."""
    user = get_owned(session, User, user_id, cpts_id=principal.cpts_id)
    if not user.active:
        raise RuleViolation(f"user {user_id} is deactivated", field="user_id")
    address = normalise_email(email)
    _set_email_channel(session, user=user, email=address)
    hours = settings.invitation_valid_hours
    return _send_link(
        session,
        user=user,
        kind=LinkKind.invitation,
        email=address,
        now=now,
        valid=timedelta(hours=hours),
        settings=settings,
        message=lambda cpts_name, url: messages.invitation(
            cpts_name=cpts_name, display_name=user.display_name, link=url, valid_hours=hours
        ),
    )


def _recent(session: Session, condition: ColumnElement[bool], since: datetime) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(SignInRequest)
        .where(condition, SignInRequest.created_at >= since)
    )
    return count or 0


def _check_rate(
    session: Session, *, digest: str, ip: str, now: datetime, settings: Settings
) -> None:
    since = now - timedelta(minutes=settings.sign_in_rate_window_minutes)
    if _recent(session, SignInRequest.email_digest == digest, since) >= (
        settings.sign_in_requests_per_address
    ):
        raise TooManyRequests("too many sign-in links asked for this address", field="email")
    if _recent(session, SignInRequest.ip == ip, since) >= settings.sign_in_requests_per_ip:
        raise TooManyRequests("too many sign-in links asked from this address (IP)")


def request_link(
    session: Session, *, email: str, ip: str, now: datetime, settings: Settings
) -> int:
    """Send a sign-in link to every active user whose e-mail channel is ``email``.

    The caller answers the same whatever this finds (it returns how many links were sent,
    for tests and logs only). Requests are counted per address and per IP, known or not;
    those older than the window are forgotten.
    """
    address = normalise_email(email)
    digest = hashlib.sha256(address.encode()).hexdigest()
    _check_rate(session, digest=digest, ip=ip, now=now, settings=settings)
    window = timedelta(minutes=settings.sign_in_rate_window_minutes)
    session.execute(delete(SignInRequest).where(SignInRequest.created_at < now - window))
    session.add(SignInRequest(email_digest=digest, ip=ip, created_at=now))
    users = session.scalars(
        select(User)
        .join(NotificationChannel, NotificationChannel.user_id == User.id)
        .where(
            NotificationChannel.kind == ChannelKind.email.value,
            NotificationChannel.enabled.is_(True),
            func.lower(NotificationChannel.target) == address,
            User.active.is_(True),
        )
        .order_by(User.id)
    ).all()
    minutes = settings.sign_in_link_valid_minutes
    for user in users:
        _send_link(
            session,
            user=user,
            kind=LinkKind.sign_in,
            email=address,
            now=now,
            valid=timedelta(minutes=minutes),
            settings=settings,
            message=lambda cpts_name, url: messages.sign_in_link(
                cpts_name=cpts_name, link=url, valid_minutes=minutes
            ),
        )
    session.flush()
    return len(users)


def consume_link(
    session: Session, *, secret: str, now: datetime, user_agent: str, ip: str
) -> tuple[WebSession, str]:
    """Use a link once and open a web session; returns the row and the cookie's secret.

    Of two concurrent uses of one link, exactly one marks it used (conditional update).
    """
    token_hash = hash_token(secret)
    used = session.execute(
        update(SignInLink)
        .where(
            SignInLink.token_hash == token_hash,
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkUnusable("this sign-in link is unknown, already used or expired")
    row = session.execute(
        select(SignInLink.user_id, User.cpts_id, User.active)
        .join(User, User.id == SignInLink.user_id)
        .where(SignInLink.token_hash == token_hash)
    ).one()
    if not row.active:
        raise LinkUnusable("this sign-in link belongs to a deactivated user")
    cookie_secret = secrets.token_urlsafe(32)
    web_session = WebSession(
        cpts_id=row.cpts_id,
        user_id=row.user_id,
        token_hash=hash_token(cookie_secret),
        csrf_token=secrets.token_urlsafe(32),
        user_agent=user_agent[:200],
        ip=ip[:64],
        created_at=now,
        last_seen_at=now,
    )
    session.add(web_session)
    session.flush()
    return web_session, cookie_secret


def resolve_session(
    session: Session, *, secret: str, now: datetime, idle: timedelta
) -> tuple[WebSession, User] | None:
    """The live session of a cookie and its active user, or None (ended, idle, unknown)."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.token_hash == hash_token(secret),
            WebSession.ended_at.is_(None),
            WebSession.last_seen_at > now - idle,
            User.active.is_(True),
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def touch(session: Session, *, session_id: int, now: datetime) -> None:
    """Record activity on a session (its idle expiry restarts)."""
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.ended_at.is_(None))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def principal_of(user: User) -> Principal:
    """The same principal an API token of this user resolves to."""
    return Principal(
        user_id=user.id,
        cpts_id=user.cpts_id,
        role=Role(user.role),
        practitioner_id=user.practitioner_id,
        pharmacy_id=user.pharmacy_id,
    )


def list_sessions(
    session: Session, *, principal: Principal, now: datetime, idle: timedelta
) -> list[WebSession]:
    """The caller's live web sessions, most recently used first."""
    return list(
        session.scalars(
            select(WebSession)
            .where(
                WebSession.user_id == principal.user_id,
                WebSession.ended_at.is_(None),
                WebSession.last_seen_at > now - idle,
            )
            .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
        )
    )


def end_session(session: Session, *, principal: Principal, session_id: int, now: datetime) -> None:
    """End one of the caller's own sessions (another user's answers 404)."""
    row = session.scalar(
        select(WebSession).where(
            WebSession.id == session_id, WebSession.user_id == principal.user_id
        )
    )
    if row is None:
        raise NotFound(f"session {session_id} not found")
    if row.ended_at is None:
        row.ended_at = now
    session.flush()


def end_user_sessions(session: Session, *, user_ids: list[int], now: datetime) -> None:
    """End every live session of these users (they were deactivated)."""
    if not user_ids:
        return
    session.execute(
        update(WebSession)
        .where(WebSession.user_id.in_(user_ids), WebSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
