"""Who is on call at an instant (and who is next), and ranked replacements for a shift."""

import dataclasses
from collections import Counter, defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

import solver
from app.auth import Principal
from app.cpts.models import Cpts, Sector
from app.cpts.service import get_sectors
from app.practitioners.models import Practitioner
from app.rotations.amendments import changeable_rotation, get_shift, violations_added
from app.rotations.models import Rotation, RotationStatus, Shift, ShiftStatus
from app.rotations.oncall_schemas import (
    Excluded,
    OnCallPublic,
    OnCallShift,
    Suggestion,
    SuggestionsPublic,
)
from app.rotations.service import shifts_public
from app.rotations.solving import active_shifts, as_assignment, build_input

SERVED = (RotationStatus.published.value, RotationStatus.archived.value)


def full_name(practitioner: Practitioner) -> str:
    """How a practitioner is shown: first name, last name."""
    return f"{practitioner.first_name} {practitioner.last_name}"


def published_shifts(
    cpts_id: int, *, profession: str | None = None, sector_id: int | None = None
) -> Select[Shift]:
    """Active shifts of published rotations; a sector also gets territory-wide shifts."""
    query = (
        select(Shift)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .where(
            Shift.cpts_id == cpts_id,
            Shift.status == ShiftStatus.active.value,
            Rotation.status == RotationStatus.published.value,
        )
    )
    if profession is not None:
        query = query.where(Shift.profession == profession)
    if sector_id is not None:
        query = query.where(or_(Shift.sector_id == sector_id, Shift.sector_id.is_(None)))
    return query


def _same_sector(sector_id: int | None) -> ColumnElement[bool]:
    return Shift.sector_id.is_(None) if sector_id is None else Shift.sector_id == sector_id


def _next_shifts(session: Session, query: Select[Shift], at: datetime) -> list[Shift]:
    """The earliest shift(s) starting after ``at``, per profession and sector."""
    later = query.where(Shift.starts_at > at)
    firsts = session.execute(
        later.with_only_columns(Shift.profession, Shift.sector_id, func.min(Shift.starts_at))
        .group_by(Shift.profession, Shift.sector_id)
        .order_by(None)
    ).all()
    if not firsts:
        return []
    earliest = [
        and_(Shift.profession == p, _same_sector(s), Shift.starts_at == t) for p, s, t in firsts
    ]
    return list(session.scalars(later.where(or_(*earliest))))


def _on_call_public(session: Session, shifts: list[Shift], zone: ZoneInfo) -> list[OnCallShift]:
    """Shifts with practitioner name and phone, sector name and local times, in order."""
    people = {
        p.id: p
        for p in session.scalars(
            select(Practitioner).where(Practitioner.id.in_({s.practitioner_id for s in shifts}))
        )
    }
    sector_ids = {s.sector_id for s in shifts if s.sector_id is not None}
    names = session.execute(select(Sector.id, Sector.name).where(Sector.id.in_(sector_ids)))
    sectors: dict[int, str] = {sector_id: name for sector_id, name in names}
    rendered = [
        OnCallShift(
            shift_id=s.id,
            rotation_id=s.rotation_id,
            practitioner_id=s.practitioner_id,
            practitioner_name=full_name(people[s.practitioner_id]),
            phone=people[s.practitioner_id].phone,
            profession=s.profession,
            sector_id=s.sector_id,
            sector_name=sectors.get(s.sector_id) if s.sector_id is not None else None,
            day=s.day,
            block=s.block,
            starts_at=s.starts_at.astimezone(zone),
            ends_at=s.ends_at.astimezone(zone),
        )
        for s in shifts
    ]
    return sorted(
        rendered,
        key=lambda o: (o.profession, o.sector_id or 0, o.starts_at, o.practitioner_name),
    )


def on_call(
    session: Session,
    *,
    cpts_id: int,
    at: datetime,
    profession: str | None = None,
    sector_id: int | None = None,
) -> OnCallPublic:
    """Who is on call at ``at`` (start included, end excluded), and who is next."""
    if sector_id is not None:
        get_sectors(session, cpts_id=cpts_id, sector_ids=[sector_id], field="sector_id")
    zone = ZoneInfo(session.get_one(Cpts, cpts_id).timezone)
    query = published_shifts(cpts_id, profession=profession, sector_id=sector_id)
    current = session.scalars(query.where(Shift.starts_at <= at, Shift.ends_at > at))
    return OnCallPublic(
        at=at.astimezone(zone),
        on_call=_on_call_public(session, list(current), zone),
        next=_on_call_public(session, _next_shifts(session, query, at), zone),
    )


def _candidates(session: Session, shift: Shift) -> list[Practitioner]:
    """Active colleagues of the same profession who serve the shift's sector."""
    query = select(Practitioner).where(
        Practitioner.cpts_id == shift.cpts_id,
        Practitioner.active.is_(True),
        Practitioner.profession == shift.profession,
        Practitioner.id != shift.practitioner_id,
    )
    if shift.sector_id is not None:
        query = query.where(Practitioner.sectors.any(Sector.id == shift.sector_id))
    return list(session.scalars(query))


def _duty_days(session: Session, rotation: Rotation, ids: list[int]) -> dict[int, list[date]]:
    """Days each practitioner is on call: this rotation and the published or archived ones."""
    served = select(Rotation.id).where(
        Rotation.cpts_id == rotation.cpts_id, Rotation.status.in_(SERVED)
    )
    rows = session.execute(
        select(Shift.practitioner_id, Shift.day).where(
            Shift.practitioner_id.in_(ids),
            Shift.status == ShiftStatus.active.value,
            or_(Shift.rotation_id == rotation.id, Shift.rotation_id.in_(served)),
        )
    )
    days: dict[int, list[date]] = defaultdict(list)
    for practitioner_id, day in rows:
        days[practitioner_id].append(day)
    return days


def _suggestion(
    practitioner: Practitioner, *, day: date, duty_days: list[date], shifts_in_rotation: int
) -> Suggestion:
    before = [day - d for d in duty_days if d <= day]
    after = [d - day for d in duty_days if d >= day]
    since = min(before).days if before else None
    until = min(after).days if after else None
    known = [n for n in (since, until) if n is not None]
    return Suggestion(
        practitioner_id=practitioner.id,
        practitioner_name=full_name(practitioner),
        days_since_previous=since,
        days_until_next=until,
        rest_days=min(known) if known else None,
        active_shifts=shifts_in_rotation,
        fte=practitioner.fte,
        load_per_fte=round(shifts_in_rotation / practitioner.fte, 3),
    )


def _rank(suggestion: Suggestion) -> tuple[float, float, str, int]:
    """Most rest first (no shift around counts as endless rest), then least loaded, name."""
    rest = float("inf") if suggestion.rest_days is None else suggestion.rest_days
    name = suggestion.practitioner_name
    return (-rest, suggestion.load_per_fte, name, suggestion.practitioner_id)


def _broken_rules(
    session: Session,
    rotation: Rotation,
    *,
    shift: Shift,
    roster: list[Shift],
    candidates: list[Practitioner],
) -> dict[int, list[solver.Violation]]:
    """For each candidate, the hard rules that giving them the shift would break.

    The instance and the roster's own violations are computed once for all candidates.
    """
    instance = build_input(session, rotation=rotation).instance
    current = [as_assignment(s) for s in roster]
    before = set(solver.check(instance, current))
    held = as_assignment(shift)
    return {
        c.id: violations_added(
            instance,
            current,
            add=[dataclasses.replace(held, practitioner=str(c.id))],
            remove={held},
            before=before,
        )
        for c in candidates
    }


def suggest(
    session: Session, *, principal: Principal, rotation_id: int, shift_id: int
) -> SuggestionsPublic:
    """Ranked colleagues who could take the shift without breaking a hard rule."""
    rotation = changeable_rotation(session, principal=principal, rotation_id=rotation_id)
    shift = get_shift(session, rotation=rotation, shift_id=shift_id)
    candidates = _candidates(session, shift)
    roster = active_shifts(session, rotation)
    broken = _broken_rules(session, rotation, shift=shift, roster=roster, candidates=candidates)
    eligible = [c for c in candidates if not broken[c.id]]
    duty_days = _duty_days(session, rotation, [c.id for c in eligible])
    loads = Counter(s.practitioner_id for s in roster)
    suggestions = [
        _suggestion(c, day=shift.day, duty_days=duty_days[c.id], shifts_in_rotation=loads[c.id])
        for c in eligible
    ]
    excluded = [
        Excluded(
            practitioner_id=c.id,
            practitioner_name=full_name(c),
            broken_rules=[str(v) for v in broken[c.id]],
        )
        for c in candidates
        if broken[c.id]
    ]
    return SuggestionsPublic(
        shift=shifts_public(session, [shift], cpts_id=rotation.cpts_id)[0],
        suggestions=sorted(suggestions, key=_rank),
        excluded=sorted(excluded, key=lambda e: (e.practitioner_name, e.practitioner_id)),
    )
