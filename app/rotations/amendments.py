"""Changes to a rotation's shifts (assign, cancel, replace, lock), checked against the
same hard rules as the solver — by the solver's independent checker — and recorded."""

from datetime import date

from sqlalchemy.orm import Session

import solver
from app.auth import Principal
from app.cpts.service import get_sectors
from app.errors import Conflict, HardRuleBroken, NotFound, RuleViolation
from app.notifications import service as notify
from app.practitioners.models import Practitioner
from app.rotations.models import Rotation, RotationStatus, Shift, ShiftStatus
from app.rotations.schemas import ChangeReason, ShiftAssign, ShiftReplace
from app.rotations.service import get_rotation, record_change
from app.rotations.solving import (
    active_shifts,
    as_assignment,
    broken_locks,
    build_input,
    replace_gaps,
    sector_key,
)
from app.slots.service import sync_slots
from app.tenancy import get_owned

CHANGEABLE = (RotationStatus.draft.value, RotationStatus.published.value)


class RulesBroken(HardRuleBroken):
    """A change breaking hard rules, carrying the checker's violations (pages word each)."""

    def __init__(
        self, violations: list[solver.Violation], *, summary: str = "the change breaks hard rules"
    ) -> None:
        listed = "; ".join(str(v) for v in violations)
        super().__init__(f"{summary}: {listed}")
        self.violations = violations


def changeable_rotation(session: Session, *, principal: Principal, rotation_id: int) -> Rotation:
    """A draft or published rotation of the caller's CPTS (archived ones are frozen)."""
    rotation = get_rotation(session, principal=principal, rotation_id=rotation_id)
    if rotation.status not in CHANGEABLE:
        raise Conflict(f"rotation {rotation_id} is {rotation.status} and can no longer change")
    return rotation


def get_shift(session: Session, *, rotation: Rotation, shift_id: int) -> Shift:
    """An active shift of the rotation."""
    shift = get_owned(session, Shift, shift_id, cpts_id=rotation.cpts_id)
    if shift.rotation_id != rotation.id or shift.status != ShiftStatus.active.value:
        raise NotFound(f"active shift {shift_id} not found in rotation {rotation.id}")
    return shift


def new_violations(
    session: Session,
    *,
    rotation: Rotation,
    add: list[solver.Assignment],
    remove: list[Shift],
) -> list[solver.Violation]:
    """Hard-rule violations the change would bring that the roster does not already have."""
    instance = build_input(session, rotation=rotation).instance
    current = [as_assignment(s) for s in active_shifts(session, rotation)]
    return violations_added(instance, current, add=add, remove={as_assignment(s) for s in remove})


def violations_added(
    instance: solver.Instance,
    current: list[solver.Assignment],
    *,
    add: list[solver.Assignment],
    remove: set[solver.Assignment],
    before: set[solver.Violation] | None = None,
) -> list[solver.Violation]:
    """:func:`new_violations` on a prebuilt instance and roster, writing nothing.

    Pass ``before`` (the roster's own violations) to check many variants of one roster
    without re-checking it each time.
    """
    known = set(solver.check(instance, current)) if before is None else before
    after = [a for a in current if a not in remove] + add
    return [v for v in solver.check(instance, after) if v not in known]


def enforce_rules(violations: list[solver.Violation], *, force: bool, reason: str | None) -> None:
    """409 naming each broken rule, unless the coordinator forces it with a reason."""
    if not violations:
        return
    if force and reason:
        return
    if force:
        raise RuleViolation("a forced change needs a reason", field="reason")
    raise RulesBroken(violations)


def refresh_gaps(session: Session, *, rotation: Rotation) -> None:
    """Recompute the rotation's uncovered demand (and why) from its current shifts."""
    instance = build_input(session, rotation=rotation).instance
    roster = [as_assignment(s) for s in active_shifts(session, rotation)]
    replace_gaps(
        session,
        rotation=rotation,
        gaps=solver.explain(instance, roster),
        first_day=rotation.period_start,
    )
    session.flush()


def shift_for(
    session: Session,
    *,
    rotation: Rotation,
    practitioner_id: int,
    day: date,
    block: str | None,
    sector_id: int | None,
) -> Shift:
    """An unsaved shift with its UTC instants from the CPTS calendar."""
    solve_input = build_input(session, rotation=rotation)
    blocks = list(solve_input.calendar.blocks)
    chosen = block or blocks[0]
    if chosen not in blocks:
        raise RuleViolation(f"unknown block {chosen!r}; blocks are {blocks}", field="block")
    if not rotation.period_start <= day <= rotation.period_end:
        raise RuleViolation("day is outside the rotation's period", field="day")
    practitioner = get_owned(session, Practitioner, practitioner_id, cpts_id=rotation.cpts_id)
    starts_at, ends_at = solve_input.calendar.instants(day, chosen)
    return Shift(
        cpts_id=rotation.cpts_id,
        rotation_id=rotation.id,
        practitioner_id=practitioner.id,
        profession=practitioner.profession,
        sector_id=sector_id,
        day=day,
        block=chosen,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def as_new_assignment(shift: Shift) -> solver.Assignment:
    """The solver's view of a shift not saved yet."""
    return solver.Assignment(
        str(shift.practitioner_id), shift.day, shift.block, sector_key(shift.sector_id)
    )


def cancel(shift: Shift) -> None:
    """Take a shift out of the roster; it stays in the history and the feeds, cancelled."""
    shift.status = ShiftStatus.cancelled.value
    shift.sequence += 1


def apply_change(
    session: Session,
    *,
    principal: Principal,
    rotation: Rotation,
    kind: str,
    add: list[Shift],
    remove: list[Shift],
    force: bool,
    reason: str | None,
) -> None:
    """Check a change against the hard rules, apply it, refresh gaps and record it."""
    violations = new_violations(
        session, rotation=rotation, add=[as_new_assignment(s) for s in add], remove=remove
    )
    enforce_rules(violations, force=force, reason=reason)
    gaps_before = notify.open_gaps(session, rotation)
    for shift in remove:
        cancel(shift)
    session.flush()
    session.add_all(add)
    session.flush()
    sync_slots(session, rotation=rotation)
    refresh_gaps(session, rotation=rotation)
    record_change(
        session,
        rotation=rotation,
        principal=principal,
        kind=kind,
        reason=reason,
        forced=bool(violations),
        details={
            "added_shift_ids": [s.id for s in add],
            "cancelled_shift_ids": [s.id for s in remove],
            "broken_rules": [str(v) for v in violations],
        },
    )
    notify.shifts_changed(
        session, rotation=rotation, kind=kind, added=add, removed=remove, gaps_before=gaps_before
    )
    session.flush()


def _sector_checked(session: Session, rotation: Rotation, sector_id: int | None) -> int | None:
    if sector_id is not None:
        get_sectors(session, cpts_id=rotation.cpts_id, sector_ids=[sector_id], field="sector_id")
    return sector_id


def assign(session: Session, *, principal: Principal, rotation_id: int, data: ShiftAssign) -> Shift:
    """Put a practitioner on call (coordinator); hard rules apply unless forced, and a
    shift breaking one cannot be locked."""
    rotation = changeable_rotation(session, principal=principal, rotation_id=rotation_id)
    shift = shift_for(
        session,
        rotation=rotation,
        practitioner_id=data.practitioner_id,
        day=data.day,
        block=data.block,
        sector_id=_sector_checked(session, rotation, data.sector_id),
    )
    shift.locked = data.locked
    apply_change(
        session,
        principal=principal,
        rotation=rotation,
        kind="assign",
        add=[shift],
        remove=[],
        force=data.force,
        reason=data.reason,
    )
    if shift.locked:
        refuse_breaking_lock(session, rotation=rotation, shift=shift)
    return shift


def unassign(
    session: Session, *, principal: Principal, rotation_id: int, shift_id: int, data: ChangeReason
) -> Shift:
    """Cancel a shift (coordinator); it stays in the history as cancelled."""
    rotation = changeable_rotation(session, principal=principal, rotation_id=rotation_id)
    shift = get_shift(session, rotation=rotation, shift_id=shift_id)
    apply_change(
        session,
        principal=principal,
        rotation=rotation,
        kind="unassign",
        add=[],
        remove=[shift],
        force=data.force,
        reason=data.reason,
    )
    return shift


def replace(
    session: Session, *, principal: Principal, rotation_id: int, shift_id: int, data: ShiftReplace
) -> Shift:
    """Give a shift to another practitioner (coordinator); returns the new shift."""
    rotation = changeable_rotation(session, principal=principal, rotation_id=rotation_id)
    old = get_shift(session, rotation=rotation, shift_id=shift_id)
    new = shift_for(
        session,
        rotation=rotation,
        practitioner_id=data.practitioner_id,
        day=old.day,
        block=old.block,
        sector_id=old.sector_id,
    )
    apply_change(
        session,
        principal=principal,
        rotation=rotation,
        kind="replace",
        add=[new],
        remove=[old],
        force=data.force,
        reason=data.reason,
    )
    return new


def refuse_breaking_lock(session: Session, *, rotation: Rotation, shift: Shift) -> None:
    """409 naming the hard rules a (flushed) locked shift breaks: solves and repairs keep
    locked shifts as they are, so each must keep every rule."""
    broken = [v for s, v in broken_locks(session, rotation=rotation) if s.id == shift.id]
    if broken:
        raise RulesBroken(broken, summary=f"shift {shift.id} breaks hard rules, cannot be locked")


def set_locked(
    session: Session, *, principal: Principal, rotation_id: int, shift_id: int, locked: bool
) -> Shift:
    """Lock a shift so that solves and repairs keep it, or unlock it.

    A shift that breaks a hard rule (e.g. a forced change) cannot be locked: 409 naming it.
    """
    rotation = changeable_rotation(session, principal=principal, rotation_id=rotation_id)
    shift = get_shift(session, rotation=rotation, shift_id=shift_id)
    shift.locked = locked
    session.flush()
    if locked:
        refuse_breaking_lock(session, rotation=rotation, shift=shift)
    record_change(
        session,
        rotation=rotation,
        principal=principal,
        kind="lock" if locked else "unlock",
        details={"shift_id": shift.id},
    )
    session.flush()
    return shift
