"""The outbox: notifications are written in the transaction of the event they tell, so a
rolled-back event sends nothing and a committed one is never lost. The other services call
one function of this module per event; the worker (``worker.py``) delivers the rows.
"""

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.base import table_of, utcnow
from app.cpts.models import Cpts, Sector
from app.notifications import messages
from app.notifications.messages import GapNotice, Message
from app.notifications.models import ChannelKind, Event, Notification, NotificationChannel
from app.referrals.models import Referral
from app.referrals.referrers import referrer_names
from app.rotations.models import Gap, Rotation, RotationStatus, Shift, ShiftStatus
from app.users.models import Role, User

"""Reminders for tomorrow's afternoons go out from this local time on the day before."""

CHANGE_EVENTS = {"swap": Event.shift_swapped, "repair": Event.shift_repaired}
ALL_KINDS = frozenset(kind.value for kind in ChannelKind)
ENABLED_CHANNELS = (
    select(
        NotificationChannel.id,
        NotificationChannel.cpts_id,
        NotificationChannel.user_id,
        NotificationChannel.kind,
    )
    .join(User, User.id == NotificationChannel.user_id)
    .where(
        NotificationChannel.cpts_id == bindparam("cpts_id"),
        NotificationChannel.user_id.in_(bindparam("user_ids", expanding=True)),
        NotificationChannel.kind.in_(bindparam("kinds", expanding=True)),
        NotificationChannel.enabled.is_(True),
        User.active.is_(True),
    )
    .order_by(NotificationChannel.id)
)
INSERT = insert(table_of(Notification))


@dataclass(frozen=True)
class ChannelRef:
    """An enabled channel of an active user: where one outbox row goes."""

    id: int
    cpts_id: int
    user_id: int
    kind: str


def enqueue(
    session: Session,
    *,
    cpts_id: int,
    user_ids: Iterable[int],
    key: str,
    message: Message,
    kinds: Iterable[ChannelKind] = tuple(ChannelKind),
) -> int:
    """Write one outbox row per enabled channel (of ``kinds``) of each recipient; returns
    how many.

    A row already written for the same key, recipient and channel is not written again,
    and a unique index makes that hold even for two transactions at the same instant.
    """
    channels = enabled_channels(
        session, cpts_id=cpts_id, user_ids=set(user_ids), kinds={k.value for k in kinds}
    )
    if not channels:
        return 0
    done = set(
        session.scalars(
            select(Notification.channel_id).where(
                Notification.idempotency_key == key,
                Notification.channel_id.in_([c.id for c in channels]),
            )
        )
    )
    rows = [
        Notification(**_values(channel, key, message))
        for channel in channels
        if channel.id not in done
    ]
    if not rows:
        return 0
    try:
        with session.begin_nested():
            session.add_all(rows)
    except IntegrityError:
        return 0
    return len(rows)


def enabled_channels(
    session: Session,
    *,
    cpts_id: int,
    user_ids: set[int],
    kinds: Collection[str] = ALL_KINDS,
) -> list[ChannelRef]:
    """The enabled channels (of ``kinds``) of those of ``user_ids`` who are active."""
    if not user_ids:
        return []
    wanted = {"cpts_id": cpts_id, "user_ids": list(user_ids), "kinds": list(kinds)}
    return [ChannelRef(*row) for row in session.execute(ENABLED_CHANNELS, wanted)]


def _values(channel: ChannelRef, key: str, message: Message) -> dict[str, Any]:
    """One outbox row's columns (the others take their defaults)."""
    return {
        "cpts_id": channel.cpts_id,
        "user_id": channel.user_id,
        "channel_id": channel.id,
        "channel": channel.kind,
        "event": message.event.value,
        "idempotency_key": key,
        "subject": message.subject,
        "body": message.body,
        "data": message.data,
        "next_attempt_at": utcnow(),
    }


def practitioner_users(session: Session, practitioner_ids: Iterable[int]) -> list[int]:
    """Users acting for these practitioners."""
    query = select(User.id).where(
        User.role == Role.practitioner.value, User.practitioner_id.in_(set(practitioner_ids))
    )
    return list(session.scalars(query))


def coordinator_users(session: Session, cpts_id: int) -> list[int]:
    """The coordinators of a CPTS."""
    query = select(User.id).where(User.cpts_id == cpts_id, User.role == Role.coordinator.value)
    return list(session.scalars(query))


def _zone(session: Session, cpts_id: int) -> ZoneInfo:
    return ZoneInfo(session.scalars(select(Cpts.timezone).where(Cpts.id == cpts_id)).one())


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def referral_booked(
    session: Session,
    referral: Referral,
    *,
    referrer: str,
    zone: ZoneInfo,
    channels: Sequence[ChannelRef],
) -> None:
    """Tell the practitioner a patient is coming, through the channels read before the
    booking's write transaction began: a new referral's rows, nothing to de-duplicate,
    written at once in one statement."""
    if not channels:
        return
    message = messages.referral_booked(referral, referrer=referrer, zone=zone)
    key = f"{message.event.value}:{referral.id}"
    session.execute(INSERT, [_values(channel, key, message) for channel in channels])


def referral_cancelled(session: Session, referral: Referral) -> None:
    """Tell the practitioner the patient will not come."""
    referrer = referrer_names(session, [referral])[referral.id]
    message = messages.referral_cancelled(
        referral, referrer=referrer, zone=_zone(session, referral.cpts_id)
    )
    enqueue(
        session,
        cpts_id=referral.cpts_id,
        user_ids=practitioner_users(session, [referral.practitioner_id]),
        key=f"{message.event.value}:{referral.id}",
        message=message,
    )


def _by_practitioner(shifts: Iterable[Shift]) -> dict[int, list[Shift]]:
    grouped: dict[int, list[Shift]] = defaultdict(list)
    for shift in sorted(shifts, key=lambda s: s.starts_at):
        grouped[shift.practitioner_id].append(shift)
    return grouped


def rotation_published(session: Session, rotation: Rotation) -> None:
    """Tell every practitioner of a newly published rotation their on-call afternoons."""
    zone = _zone(session, rotation.cpts_id)
    active = session.scalars(
        select(Shift).where(
            Shift.rotation_id == rotation.id, Shift.status == ShiftStatus.active.value
        )
    )
    for practitioner_id, shifts in _by_practitioner(active).items():
        enqueue(
            session,
            cpts_id=rotation.cpts_id,
            user_ids=practitioner_users(session, [practitioner_id]),
            key=f"rotation_published:{rotation.id}",
            message=messages.rotation_published(rotation, shifts, zone=zone),
        )


GapCounts = dict[tuple[date, str, str, int | None], int]
"""Missing practitioners per (day, block, profession, sector id)."""


def _gap_order(item: tuple[tuple[date, str, str, int | None], int]) -> tuple[date, str, str, int]:
    (day, block, profession, sector), _ = item
    return day, block, profession, sector or 0


def open_gaps(session: Session, rotation: Rotation) -> GapCounts:
    """The published rotation's uncovered needs now (empty for a draft), to compare after a
    change with :func:`shifts_changed`."""
    if rotation.status != RotationStatus.published.value:
        return {}
    session.flush()
    rows = session.scalars(select(Gap).where(Gap.rotation_id == rotation.id))
    return {(g.day, g.block, g.profession, g.sector_id): g.missing for g in rows}


def shifts_changed(
    session: Session,
    *,
    rotation: Rotation,
    kind: str,
    added: list[Shift],
    removed: list[Shift],
    gaps_before: GapCounts,
) -> None:
    """After a change to a published rotation: tell each practitioner the shifts they gained
    or lost (``swap`` and ``repair`` changes have their own event), and the coordinators the
    needs that were covered (``gaps_before``) and no longer are."""
    if rotation.status != RotationStatus.published.value:
        return
    session.flush()
    event = CHANGE_EVENTS.get(kind, Event.shift_changed)
    zone = _zone(session, rotation.cpts_id)
    gained, lost = _by_practitioner(added), _by_practitioner(removed)
    for practitioner_id in sorted(set(gained) | set(lost)):
        mine_added, mine_removed = gained.get(practitioner_id, []), lost.get(practitioner_id, [])
        ids = ([s.id for s in mine_added], [s.id for s in mine_removed])
        enqueue(
            session,
            cpts_id=rotation.cpts_id,
            user_ids=practitioner_users(session, [practitioner_id]),
            key=f"{event.value}:{rotation.id}:{_digest(*ids)}",
            message=messages.shifts_changed(
                event, rotation, added=mine_added, removed=mine_removed, zone=zone
            ),
        )
    _coverage_gaps(
        session,
        rotation=rotation,
        before=gaps_before,
        key=_digest(kind, [s.id for s in added], [s.id for s in removed]),
    )


def _coverage_gaps(session: Session, *, rotation: Rotation, before: GapCounts, key: str) -> None:
    after = open_gaps(session, rotation)
    appeared = {k: n for k, n in after.items() if n > before.get(k, 0)}
    if not appeared:
        return
    enqueue(
        session,
        cpts_id=rotation.cpts_id,
        user_ids=coordinator_users(session, rotation.cpts_id),
        key=f"coverage_gap:{rotation.id}:{_digest(key, sorted(appeared.items(), key=_gap_order))}",
        message=messages.coverage_gaps(rotation, _gap_notices(session, appeared)),
    )


def _gap_notices(session: Session, gaps: GapCounts) -> list[GapNotice]:
    sector_ids = {sector for (_, _, _, sector) in gaps if sector is not None}
    query = select(Sector.id, Sector.name).where(Sector.id.in_(sector_ids))
    names = {sector_id: name for sector_id, name in session.execute(query)}
    return [
        GapNotice(
            day=day,
            block=block,
            profession=profession,
            sector=names.get(sector) if sector is not None else None,
            missing=missing,
        )
        for (day, block, profession, sector), missing in sorted(gaps.items(), key=_gap_order)
    ]


def enqueue_reminders(session: Session, *, now: datetime) -> int:
    """Remind practitioners of tomorrow's on-call afternoons (from the CPTS's reminder time,
    08:00 local time by default, the day before); once per shift, however often this runs.
    Returns how many rows were written."""
    written = 0
    for cpts in session.scalars(select(Cpts).order_by(Cpts.id)):
        zone = ZoneInfo(cpts.timezone)
        local = now.astimezone(zone)
        if local.time() < cpts.reminder_time:
            continue
        tomorrow = local.date() + timedelta(days=1)
        for shift in _shifts_on(session, cpts_id=cpts.id, day=tomorrow):
            written += enqueue(
                session,
                cpts_id=cpts.id,
                user_ids=practitioner_users(session, [shift.practitioner_id]),
                key=f"shift_reminder:{shift.id}",
                message=messages.shift_reminder(shift, zone=zone),
            )
    return written


def _shifts_on(session: Session, *, cpts_id: int, day: date) -> list[Shift]:
    query = (
        select(Shift)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .where(
            Shift.cpts_id == cpts_id,
            Shift.day == day,
            Shift.status == ShiftStatus.active.value,
            Rotation.status == RotationStatus.published.value,
        )
        .order_by(Shift.id)
    )
    return list(session.scalars(query))
