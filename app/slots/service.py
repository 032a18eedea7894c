"""Slots: cut from published shifts, kept in step with them, blocked and reopened."""

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.cpts.models import Cpts
from app.errors import Conflict, Forbidden, RuleViolation
from app.pagination import PageParams, paginate
from app.referrals.models import Referral, ReferralStatus
from app.rotations.models import Rotation, RotationStatus, Shift, ShiftStatus
from app.slots.models import Slot, SlotStatus
from app.slots.search import slots_changed
from app.tenancy import get_owned
from app.users.models import Role

SLOT_GRID_MINUTES = 5


def slot_starts(
    starts_at: datetime, ends_at: datetime, *, slot_minutes: int, count: int
) -> list[datetime]:
    """``count`` slot start times spread evenly across a shift, on a 5-minute grid."""
    length = timedelta(minutes=slot_minutes)
    fitting = min(count, int((ends_at - starts_at) / length))
    if fitting <= 0:
        return []
    step = (ends_at - starts_at) / fitting
    grid = timedelta(minutes=SLOT_GRID_MINUTES)
    return [starts_at + (step * index) // grid * grid for index in range(fitting)]


def _new_slots(shift: Shift, *, slot_minutes: int, count: int) -> list[Slot]:
    length = timedelta(minutes=slot_minutes)
    return [
        Slot(
            cpts_id=shift.cpts_id,
            shift_id=shift.id,
            practitioner_id=shift.practitioner_id,
            profession=shift.profession,
            sector_id=shift.sector_id,
            starts_at=start,
            ends_at=start + length,
        )
        for start in slot_starts(
            shift.starts_at, shift.ends_at, slot_minutes=slot_minutes, count=count
        )
    ]


def _withdraw(session: Session, slots: Iterable[Slot], *, reason: str) -> None:
    for slot in slots:
        if slot.status == SlotStatus.booked.value:
            referral = session.scalar(
                select(Referral).where(
                    Referral.slot_id == slot.id, Referral.status == ReferralStatus.booked.value
                )
            )
            if referral is not None:
                referral.needs_attention = reason
            continue
        slot.status = SlotStatus.withdrawn.value


def sync_slots(session: Session, *, rotation: Rotation) -> None:
    """Make a published rotation's slots follow its shifts.

    Every active shift gets its free slots (per the CPTS's profession settings); the slots
    of a cancelled shift are withdrawn — except booked ones, whose referral is flagged for
    the coordinator instead of being silently lost.
    """
    if rotation.status != RotationStatus.published.value:
        return
    cpts = session.get_one(Cpts, rotation.cpts_id)
    rules = {s.profession: s for s in cpts.profession_settings}
    shifts = session.scalars(select(Shift).where(Shift.rotation_id == rotation.id)).all()
    slots_by_shift: dict[int, list[Slot]] = {}
    for slot in session.scalars(select(Slot).where(Slot.shift_id.in_([s.id for s in shifts]))):
        slots_by_shift.setdefault(slot.shift_id, []).append(slot)
    for shift in shifts:
        existing = slots_by_shift.get(shift.id, [])
        if shift.status == ShiftStatus.active.value and not existing and shift.profession in rules:
            rule = rules[shift.profession]
            session.add_all(
                _new_slots(shift, slot_minutes=rule.slot_minutes, count=rule.free_slots_per_shift)
            )
        elif shift.status == ShiftStatus.cancelled.value:
            _withdraw(
                session,
                [s for s in existing if s.status != SlotStatus.withdrawn.value],
                reason=f"shift {shift.id} of {shift.day} was cancelled: find another slot",
            )
    session.flush()
    slots_changed(rotation.cpts_id)


def get_own_slot(session: Session, *, principal: Principal, slot_id: int) -> Slot:
    """A slot the caller may change: the coordinator's CPTS, or the practitioner's own."""
    slot = get_owned(session, Slot, slot_id, cpts_id=principal.cpts_id)
    if principal.role == Role.practitioner and slot.practitioner_id != principal.practitioner_id:
        raise Forbidden("you may only change your own slots")
    if principal.role == Role.pharmacist:
        raise Forbidden("pharmacists book slots through referrals")
    return slot


def set_blocked(
    session: Session, *, principal: Principal, slot_id: int, blocked: bool, now: datetime
) -> Slot:
    """Take a future open slot back (block) or offer a blocked one again (reopen)."""
    slot = get_own_slot(session, principal=principal, slot_id=slot_id)
    if slot.starts_at <= now:
        raise Conflict(f"slot {slot_id} has already started")
    wanted, required = (
        (SlotStatus.blocked, SlotStatus.open) if blocked else (SlotStatus.open, SlotStatus.blocked)
    )
    if slot.status != required.value:
        raise Conflict(f"slot {slot_id} is {slot.status}, not {required.value}")
    slot.status = wanted.value
    session.flush()
    slots_changed(slot.cpts_id)
    return slot


def practitioner_slots(
    session: Session, *, practitioner_id: int, since: datetime, until: datetime, page: PageParams
) -> tuple[list[Slot], int]:
    """A page of a practitioner's slots starting in [since, until), withdrawn ones left out,
    and how many there are."""
    query = select(Slot).where(
        Slot.practitioner_id == practitioner_id,
        Slot.starts_at >= since,
        Slot.starts_at < until,
        Slot.status != SlotStatus.withdrawn.value,
    )
    return paginate(session, query.order_by(Slot.starts_at, Slot.id), page)


def _own_future_shift(
    session: Session, *, principal: Principal, shift_id: int, now: datetime
) -> Shift:
    shift = get_owned(session, Shift, shift_id, cpts_id=principal.cpts_id)
    if principal.role == Role.pharmacist:
        raise Forbidden("pharmacists book slots through referrals")
    if principal.role == Role.practitioner and shift.practitioner_id != principal.practitioner_id:
        raise Forbidden("you may only set the slots of your own shifts")
    rotation = session.get_one(Rotation, shift.rotation_id)
    if (
        shift.status != ShiftStatus.active.value
        or rotation.status != RotationStatus.published.value
    ):
        raise Conflict(f"shift {shift_id} is not an active shift of a published rotation")
    if shift.starts_at <= now:
        raise Conflict(f"shift {shift_id} has already started")
    return shift


def _wanted_starts(
    shift: Shift, local_times: list[time], *, zone: ZoneInfo, slot_minutes: int
) -> list[datetime]:
    length = timedelta(minutes=slot_minutes)
    starts = [datetime.combine(shift.day, t, tzinfo=zone).astimezone(UTC) for t in local_times]
    for index, start in enumerate(starts):
        if start < shift.starts_at or start + length > shift.ends_at:
            raise RuleViolation(
                f"{local_times[index]:%H:%M}: a {slot_minutes}-minute slot must fit in the shift",
                field=f"starts.{index}",
            )
    ordered = sorted(starts)
    for earlier, later in pairwise(ordered):
        if later < earlier + length:
            raise RuleViolation("slots must not overlap one another", field="starts")
    return ordered


def set_slot_times(
    session: Session, *, principal: Principal, shift_id: int, starts: list[time], now: datetime
) -> list[Slot]:
    """Put a future shift's free slots at the times the practitioner chose (local times).

    Booked slots stay as they are; other slots not at a chosen time are withdrawn.
    """
    shift = _own_future_shift(session, principal=principal, shift_id=shift_id, now=now)
    cpts = session.get_one(Cpts, shift.cpts_id)
    rule = next(s for s in cpts.profession_settings if s.profession == shift.profession)
    wanted = _wanted_starts(
        shift, starts, zone=ZoneInfo(cpts.timezone), slot_minutes=rule.slot_minutes
    )
    existing = {
        s.starts_at: s for s in session.scalars(select(Slot).where(Slot.shift_id == shift.id))
    }
    booked = [s for s in existing.values() if s.status == SlotStatus.booked.value]
    length = timedelta(minutes=rule.slot_minutes)
    for start in wanted:
        if any(
            b.starts_at != start and start < b.ends_at and b.starts_at < start + length
            for b in booked
        ):
            raise Conflict(
                f"{start.astimezone(ZoneInfo(cpts.timezone)):%H:%M} overlaps a booked slot"
            )
    for start, slot in existing.items():
        if slot.status != SlotStatus.booked.value:
            slot.status = (SlotStatus.open if start in wanted else SlotStatus.withdrawn).value
    session.add_all(
        Slot(
            cpts_id=shift.cpts_id,
            shift_id=shift.id,
            practitioner_id=shift.practitioner_id,
            profession=shift.profession,
            sector_id=shift.sector_id,
            starts_at=start,
            ends_at=start + length,
        )
        for start in wanted
        if start not in existing
    )
    session.flush()
    slots_changed(shift.cpts_id)
    query = select(Slot).where(Slot.shift_id == shift.id, Slot.status != SlotStatus.withdrawn.value)
    return list(session.scalars(query.order_by(Slot.starts_at)))
