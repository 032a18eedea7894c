"""Threads of messages: a referral's (its pharmacy and its practitioner; patient data, so
every read and write is audited and the text is purged with the referral's identity) and
the on-call channel of the day (no patient identity). Read marks, unread counts, the
delayed notice of an unread referral message, and the per-user posting rate limit."""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal
from app.config import Settings
from app.cpts.models import Cpts
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, TooManyRequests
from app.events.service import publish
from app.messaging.identity import identity_found
from app.messaging.models import CHANNEL_THREAD, REFERRAL_THREAD, Message, ThreadRead
from app.messaging.schemas import ThreadUnread, UnreadSummary
from app.notifications import messages as notices
from app.notifications import service as notify
from app.pagination import PageParams, paginate
from app.referrals.models import Referral
from app.referrals.service import visible_referrals
from app.rotations.models import Shift
from app.rotations.oncall import published_shifts
from app.users.models import Role, User


class TooManyMessages(TooManyRequests):
    """One user posted too many messages in the rate window."""

    code = "too_many_messages"


@dataclass(frozen=True)
class Thread:
    """A thread the caller may open: a referral's, or a CPTS's channel of one day."""

    key: str
    cpts_id: int
    referral: Referral | None = None
    day: date | None = None


def referral_key(referral_id: int) -> str:
    """``referral:<id>``, the thread of a referral."""
    return f"{REFERRAL_THREAD}{referral_id}"


def channel_key(day: date) -> str:
    """``channel:<YYYY-MM-DD>``, the on-call channel of a day."""
    return f"{CHANNEL_THREAD}{day.isoformat()}"


def _zone(session: Session, cpts_id: int) -> ZoneInfo:
    return ZoneInfo(session.get_one(Cpts, cpts_id).timezone)


def local_today(session: Session, cpts_id: int, now: datetime) -> date:
    """Today in the CPTS's timezone."""
    return now.astimezone(_zone(session, cpts_id)).date()


def referral_thread(session: Session, *, principal: Principal, referral_id: int) -> Thread:
    """The thread of a referral the caller may see (404 otherwise, as for the referral)."""
    referral = session.scalar(visible_referrals(principal).where(Referral.id == referral_id))
    if referral is None:
        raise NotFound(f"referral {referral_id} not found")
    return Thread(referral_key(referral.id), referral.cpts_id, referral=referral)


def _on_call(session: Session, *, principal: Principal, day: date) -> bool:
    query = published_shifts(principal.cpts_id).where(
        Shift.practitioner_id == principal.practitioner_id, Shift.day == day
    )
    return session.scalar(query.limit(1)) is not None


def channel_thread(session: Session, *, principal: Principal, day: date) -> Thread:
    """The CPTS's channel of ``day``: its coordinators and pharmacists, and the
    practitioners on call that day (published shifts) may open it (403 otherwise)."""
    if principal.role == Role.practitioner and not _on_call(session, principal=principal, day=day):
        raise Forbidden(
            f"the channel of {day.isoformat()} is for the practitioners on call that day, "
            "the pharmacists and the coordinator"
        )
    return Thread(channel_key(day), principal.cpts_id, day=day)


def _in_thread(thread: Thread) -> Select[Any]:
    return select(Message).where(Message.cpts_id == thread.cpts_id, Message.thread == thread.key)


def participants(session: Session, thread: Thread) -> list[int]:
    """The users a thread's events and notices go to."""
    if thread.referral is not None:
        referral = thread.referral
        pharmacists = select(User.id).where(
            User.role == Role.pharmacist.value, User.pharmacy_id == referral.pharmacy_id
        )
        practitioners = notify.practitioner_users(
            session,
            [p for p in (referral.practitioner_id, referral.referrer_practitioner_id) if p],
        )
        return sorted(set(session.scalars(pharmacists)) | set(practitioners))
    assert thread.day is not None
    on_call = published_shifts(thread.cpts_id).where(Shift.day == thread.day)
    team = select(User.id).where(
        User.cpts_id == thread.cpts_id,
        User.active.is_(True),
        or_(
            User.role.in_([Role.coordinator.value, Role.pharmacist.value]),
            User.practitioner_id.in_(on_call.with_only_columns(Shift.practitioner_id)),
        ),
    )
    return sorted(session.scalars(team))


def _audit(
    session: Session, principal: Principal, thread: Thread, action: str, ids: list[int]
) -> None:
    """Referral threads are patient data: every read and write is audited."""
    if thread.referral is None:
        return
    audit.record(
        session,
        actor=principal,
        cpts_id=thread.cpts_id,
        action=action,
        subject_type="referral",
        subject_id=thread.referral.id,
        details={"message_ids": ids},
    )


def list_messages(
    session: Session,
    *,
    principal: Principal,
    thread: Thread,
    after: int | None,
    page: PageParams,
) -> tuple[list[Message], int]:
    """A page of a thread's messages, oldest first (``after``: only newer than that id);
    a read of a referral's thread is audited."""
    query = _in_thread(thread).order_by(Message.id)
    if after is not None:
        query = query.where(Message.id > after)
    rows, total = paginate(session, query, page)
    _audit(session, principal, thread, "read_messages", [m.id for m in rows])
    return list(rows), total


def _check_rate(
    session: Session, *, principal: Principal, now: datetime, settings: Settings
) -> None:
    window = timedelta(seconds=settings.message_rate_window_seconds)
    recent = session.scalars(
        select(Message.created_at)
        .where(Message.author_user_id == principal.user_id, Message.created_at > now - window)
        .order_by(Message.created_at)
    ).all()
    if len(recent) >= settings.message_posts_per_window:
        wait = (recent[-settings.message_posts_per_window] + window - now).total_seconds()
        raise TooManyMessages(
            f"at most {settings.message_posts_per_window} messages per "
            f"{settings.message_rate_window_seconds} s; retry later",
            retry_after=max(1, math.ceil(wait)),
        )


def _check_postable(
    session: Session, *, principal: Principal, thread: Thread, body: str, now: datetime
) -> None:
    if thread.referral is not None:
        if principal.role == Role.coordinator:
            raise Forbidden("the referral's pharmacy and practitioner write in its thread")
        if thread.referral.purged_at is not None:
            raise Conflict(
                f"referral {thread.referral.id} is past its retention period: its thread is closed"
            )
        return
    if thread.day != local_today(session, thread.cpts_id, now):
        raise RuleViolation("only today's channel takes new messages", field="date")
    found = identity_found(body)
    if found is not None:
        raise RuleViolation(
            f"no patient identity on the on-call channel: this message contains {found}",
            field="body",
        )


def post(
    session: Session,
    *,
    principal: Principal,
    thread: Thread,
    body: str,
    now: datetime,
    settings: Settings,
) -> Message:
    """Post a message (rate-limited per user) and tell the thread's other participants."""
    _check_postable(session, principal=principal, thread=thread, body=body, now=now)
    _check_rate(session, principal=principal, now=now, settings=settings)
    author = session.get_one(User, principal.user_id)
    message = Message(
        cpts_id=thread.cpts_id,
        thread=thread.key,
        referral_id=thread.referral.id if thread.referral else None,
        author_user_id=author.id,
        author_role=author.role,
        author_name=author.display_name,
        body=body,
        created_at=now,
    )
    session.add(message)
    session.flush()
    _audit(session, principal, thread, "write_message", [message.id])
    others = [u for u in participants(session, thread) if u != author.id]
    publish(
        session,
        cpts_id=thread.cpts_id,
        user_ids=others,
        kind="message.posted",
        data={"thread": thread.key, "message_id": message.id},
    )
    return message


def _mark(
    session: Session, *, principal: Principal, thread: Thread, up_to: int, now: datetime
) -> bool:
    """Move the caller's read mark of the thread forward to ``up_to``; whether it moved."""
    mine = select(ThreadRead).where(
        ThreadRead.user_id == principal.user_id, ThreadRead.thread == thread.key
    )
    row = session.scalar(mine)
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    ThreadRead(
                        cpts_id=thread.cpts_id,
                        user_id=principal.user_id,
                        thread=thread.key,
                        up_to=up_to,
                        read_at=now,
                    )
                )
            return True
        except IntegrityError:  # a concurrent mark of the same thread wrote it first
            row = session.scalars(mine).one()
    if up_to <= row.up_to:
        return False
    row.up_to, row.read_at = up_to, now
    return True


def mark_read(
    session: Session, *, principal: Principal, thread: Thread, up_to: int | None, now: datetime
) -> ThreadUnread:
    """Mark the thread read up to a message (its latest by default); a mark never goes
    back. Tells the thread's participants (read receipt)."""
    if thread.referral is not None and principal.role == Role.coordinator:
        raise Forbidden("the referral's pharmacy and practitioner read its thread")
    if up_to is None:
        latest = session.scalar(_in_thread(thread).with_only_columns(func.max(Message.id)))
        up_to = latest or 0
    elif session.scalar(_in_thread(thread).where(Message.id == up_to)) is None:
        raise RuleViolation(f"message {up_to} is not in {thread.key}", field="up_to")
    if up_to and _mark(session, principal=principal, thread=thread, up_to=up_to, now=now):
        publish(
            session,
            cpts_id=thread.cpts_id,
            user_ids=participants(session, thread),
            kind="message.read",
            data={"thread": thread.key, "user_id": principal.user_id, "up_to": up_to},
        )
    session.flush()
    counts = _unread_by_thread(session, principal=principal, threads=Message.thread == thread.key)
    return counts[0] if counts else ThreadUnread(thread=thread.key, unread=0, latest_at=None)


def _unread_by_thread(
    session: Session, *, principal: Principal, threads: ColumnElement[bool]
) -> list[ThreadUnread]:
    read = and_(ThreadRead.user_id == principal.user_id, ThreadRead.thread == Message.thread)
    query = (
        select(Message.thread, func.count(Message.id), func.max(Message.created_at))
        .outerjoin(ThreadRead, read)
        .where(
            Message.cpts_id == principal.cpts_id,
            threads,
            Message.id > func.coalesce(ThreadRead.up_to, 0),
            or_(Message.author_user_id.is_(None), Message.author_user_id != principal.user_id),
        )
        .group_by(Message.thread)
        .order_by(Message.thread)
    )
    return [
        ThreadUnread(thread=key, unread=count, latest_at=latest)
        for key, count, latest in session.execute(query)
    ]


def unread(session: Session, *, principal: Principal, now: datetime) -> UnreadSummary:
    """The caller's unread messages: referral threads they take part in (not the
    coordinator's) and today's channel if they may open it."""
    threads: list[ColumnElement[bool]] = []
    if principal.role != Role.coordinator:
        mine = visible_referrals(principal).with_only_columns(Referral.id)
        threads.append(Message.referral_id.in_(mine))
    today = local_today(session, principal.cpts_id, now)
    if principal.role != Role.practitioner or _on_call(session, principal=principal, day=today):
        threads.append(Message.thread == channel_key(today))
    counts = _unread_by_thread(session, principal=principal, threads=or_(*threads))
    return UnreadSummary(total=sum(c.unread for c in counts), threads=counts)


def _has_read(session: Session, *, user_id: int, message: Message) -> bool:
    up_to = session.scalar(
        select(ThreadRead.up_to).where(
            ThreadRead.user_id == user_id, ThreadRead.thread == message.thread
        )
    )
    return up_to is not None and up_to >= message.id


def enqueue_unread_notices(session: Session, *, now: datetime, delay: timedelta) -> int:
    """Once per referral message still unread ``delay`` after it was posted: one notice
    (without its text) to each participant who has not read it. Returns how many rows."""
    due = session.scalars(
        select(Message)
        .where(
            Message.referral_id.is_not(None),
            Message.reminded_at.is_(None),
            Message.created_at <= now - delay,
        )
        .order_by(Message.id)
        .limit(200)
    ).all()
    written = 0
    for message in due:
        message.reminded_at = now
        referral = session.get_one(Referral, message.referral_id)
        if message.body is None:
            continue
        thread = Thread(message.thread, message.cpts_id, referral=referral)
        waiting = [
            user_id
            for user_id in participants(session, thread)
            if user_id != message.author_user_id
            and not _has_read(session, user_id=user_id, message=message)
        ]
        written += notify.enqueue(
            session,
            cpts_id=message.cpts_id,
            user_ids=waiting,
            key=f"message_unread:{message.id}",
            message=notices.message_unread(
                referral,
                author_name=message.author_name,
                posted_at=message.created_at,
                zone=_zone(session, message.cpts_id),
            ),
        )
    session.flush()
    return written
