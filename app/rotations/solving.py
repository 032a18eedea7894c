"""The only bridge to ``solver/``: database rows → ``solver.Instance``, ``Result`` → shifts.

Practitioners are keyed by their id as text, sectors by ``sector-<id>`` (``territory`` for
demand that any sector may cover), blocks by their local times (``14:00-20:00``). Shifts
already served or published around the solved days (earlier days of a repaired rotation,
neighbouring rotations) are the instance's context: they count toward the weekly and
monthly maxima and the rest rule.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

import solver
from app.availability.models import Absence, Preference
from app.competences.rules import competence_demands, declared_competences
from app.competences.rules import list_rules as list_competence_rules
from app.coverage.models import CoverageRule
from app.coverage.service import required_on
from app.cpts.models import Cpts, Sector
from app.cpts.service import effective_blocks
from app.practitioners.models import Practitioner
from app.professions import PROFESSION_LABELS, PROFESSION_PLURALS
from app.rotations.models import FairShare, Gap, Rotation, RotationStatus, Shift, ShiftStatus
from solver.explain import (
    ABSENT,
    AT_MONTHLY_MAXIMUM,
    AT_PERIOD_MAXIMUM,
    AT_WEEKLY_MAXIMUM,
    FREE,
    ON_CALL_DAY_AFTER,
    ON_CALL_DAY_BEFORE,
    ON_CALL_ELSEWHERE,
    ON_CALL_HERE,
    RESTING,
)

TERRITORY = "territory"
SERVED = (RotationStatus.published.value, RotationStatus.archived.value)


def sector_key(sector_id: int | None) -> str:
    """Solver name of a sector (``territory`` for whole-territory demand)."""
    return TERRITORY if sector_id is None else f"sector-{sector_id}"


def sector_id_of(key: str) -> int | None:
    """Inverse of :func:`sector_key`."""
    return None if key == TERRITORY else int(key.removeprefix("sector-"))


def block_name(start: time, end: time) -> str:
    """Solver and database name of a block, e.g. ``14:00-17:00``."""
    return f"{start:%H:%M}-{end:%H:%M}"


@dataclass(frozen=True)
class Calendar:
    """A CPTS's local calendar: timezone, blocks and public holidays."""

    timezone: ZoneInfo
    blocks: dict[str, tuple[time, time]]
    holiday_dates: frozenset[date]

    @classmethod
    def of(cls, cpts: Cpts, first: date, last: date) -> "Calendar":
        """The calendar of ``cpts`` for the years spanning ``first``..``last``."""
        years = range(first.year, last.year + 1)
        public = holidays.country_holidays("FR", subdiv=cpts.holiday_subdivision, years=years)
        return cls(
            timezone=ZoneInfo(cpts.timezone),
            blocks={block_name(b.start, b.end): (b.start, b.end) for b in effective_blocks(cpts)},
            holiday_dates=frozenset(public),
        )

    def instants(self, day: date, block: str) -> tuple[datetime, datetime]:
        """UTC start and end of ``block`` on ``day``: local wall-clock time, DST included."""
        start, end = self.blocks[block]
        local_start = datetime.combine(day, start, tzinfo=self.timezone)
        local_end = datetime.combine(day, end, tzinfo=self.timezone)
        return local_start.astimezone(UTC), local_end.astimezone(UTC)

    def day_kind(self, day: date) -> solver.instance.DayKind:
        """``holiday``, ``weekend`` or ``weekday``."""
        if day in self.holiday_dates:
            return "holiday"
        return "weekend" if day.weekday() >= 5 else "weekday"


def days_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def demands_on(
    rules: Sequence[CoverageRule], calendar: Calendar, days: Iterable[date]
) -> list[solver.Demand]:
    """The demand of every block of ``days`` under the coverage ``rules``."""
    demands = []
    for day in days:
        needed = required_on(rules, day=day, is_holiday=day in calendar.holiday_dates)
        for (profession, sector_id), count in sorted(needed.items(), key=str):
            for block in calendar.blocks:
                demands.append(solver.Demand(day, block, profession, sector_key(sector_id), count))
    return demands


def _absent_days(session: Session, cpts_id: int, first: date, last: date) -> dict[int, set[date]]:
    absent: dict[int, set[date]] = defaultdict(set)
    query = select(Absence).where(
        Absence.cpts_id == cpts_id, Absence.start_date <= last, Absence.end_date >= first
    )
    for absence in session.scalars(query):
        start, end = max(absence.start_date, first), min(absence.end_date, last)
        absent[absence.practitioner_id].update(days_between(start, end))
    return absent


def _preferred_and_avoided(
    session: Session, cpts_id: int, days: list[date]
) -> dict[tuple[int, str], set[date]]:
    wanted: dict[tuple[int, str], set[date]] = defaultdict(set)
    for pref in session.scalars(select(Preference).where(Preference.cpts_id == cpts_id)):
        matching = {d for d in days if d == pref.day or d.weekday() == pref.weekday}
        wanted[(pref.practitioner_id, pref.kind)].update(matching)
    return wanted


def _history(session: Session, rotation: Rotation, calendar: Calendar) -> dict[int, solver.History]:
    """Shifts served and fair shares of earlier published rotations, per practitioner."""
    earlier = select(Rotation.id).where(
        Rotation.cpts_id == rotation.cpts_id,
        Rotation.status != RotationStatus.draft.value,
        Rotation.period_end < rotation.period_start,
    )
    served: dict[int, list[date]] = defaultdict(list)
    shifts = select(Shift.practitioner_id, Shift.day).where(
        Shift.rotation_id.in_(earlier), Shift.status == ShiftStatus.active.value
    )
    for practitioner_id, day in session.execute(shifts):
        served[practitioner_id].append(day)
    shares = session.execute(
        select(
            FairShare.practitioner_id,
            func.sum(FairShare.weekday_fair_share),
            func.sum(FairShare.special_fair_share),
        )
        .where(FairShare.rotation_id.in_(earlier))
        .group_by(FairShare.practitioner_id)
    )
    share_of = {pid: (float(w or 0), float(s or 0)) for pid, w, s in shares}
    return {
        pid: solver.History(
            weekday_shifts=sum(1 for d in served.get(pid, []) if calendar.day_kind(d) == "weekday"),
            special_shifts=sum(1 for d in served.get(pid, []) if calendar.day_kind(d) != "weekday"),
            weekday_fair_share=share_of.get(pid, (0.0, 0.0))[0],
            special_fair_share=share_of.get(pid, (0.0, 0.0))[1],
            last_on_call=max(served[pid]) if served.get(pid) else None,
        )
        for pid in set(served) | set(share_of)
    }


def _solver_practitioner(
    row: Practitioner,
    *,
    absent: set[date],
    preferred: set[date],
    avoided: set[date],
    history: solver.History,
    competences: tuple[str, ...] = (),
) -> solver.Practitioner:
    return solver.Practitioner(
        id=str(row.id),
        profession=row.profession,
        sectors=(*[sector_key(s.id) for s in row.sectors], TERRITORY),
        fte=row.fte,
        unavailable_days=tuple(sorted(absent)),
        preferred_days=tuple(sorted(preferred)),
        avoided_days=tuple(sorted(avoided)),
        max_shifts_per_week=row.max_shifts_per_week,
        max_shifts_per_month=row.max_shifts_per_month,
        history=history,
        competences=competences,
    )


@dataclass(frozen=True)
class SolveInput:
    """An instance for the days ``first_day``..end of a rotation, and how to map it back."""

    instance: solver.Instance
    calendar: Calendar
    first_day: date


def active_shifts(session: Session, rotation: Rotation) -> list[Shift]:
    """The rotation's active shifts, by day and block."""
    query = select(Shift).where(
        Shift.rotation_id == rotation.id, Shift.status == ShiftStatus.active.value
    )
    return list(session.scalars(query.order_by(Shift.day, Shift.block, Shift.id)))


def as_assignment(shift: Shift) -> solver.Assignment:
    """The solver's view of a stored shift."""
    return solver.Assignment(
        str(shift.practitioner_id), shift.day, shift.block, sector_key(shift.sector_id)
    )


def _practitioners(
    session: Session,
    rotation: Rotation,
    days: list[date],
    calendar: Calendar,
    needed_ids: set[int],
) -> list[solver.Practitioner]:
    """Active practitioners, and the deactivated ones still holding shifts: those can no
    longer be on call, so every solved day is a day off for them."""
    cpts_id = rotation.cpts_id
    absent = _absent_days(session, cpts_id, days[0], days[-1])
    wishes = _preferred_and_avoided(session, cpts_id, days)
    history = _history(session, rotation, calendar)
    competences = declared_competences(session, cpts_id=cpts_id)
    rows = session.scalars(
        select(Practitioner)
        .where(Practitioner.cpts_id == cpts_id)
        .where(Practitioner.active.is_(True) | Practitioner.id.in_(needed_ids))
        .order_by(Practitioner.id)
    )
    return [
        _solver_practitioner(
            row,
            absent=absent.get(row.id, set()) if row.active else set(days),
            preferred=wishes.get((row.id, "prefer"), set()),
            avoided=wishes.get((row.id, "avoid"), set()),
            history=history.get(row.id, solver.History()),
            competences=competences.get(row.id, ()),
        )
        for row in rows
    ]


def _context(
    session: Session, rotation: Rotation, first: date, rest_days: int, ids: set[str]
) -> list[solver.Assignment]:
    """Active shifts around the days ``first``..end of the rotation that the rules reach.

    Inside the rotation's period they are its own earlier days; outside it, the shifts of
    published (or archived) rotations, in the weeks and months the solved days touch and
    within the rest rule of them.
    """
    last = rotation.period_end
    month_end = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    start = min(first - timedelta(days=max(rest_days, first.weekday())), first.replace(day=1))
    end = max(last + timedelta(days=max(rest_days, 6 - last.weekday())), month_end)
    own = and_(Shift.rotation_id == rotation.id, Shift.day < first)
    others = and_(
        Shift.rotation_id != rotation.id,
        Rotation.status.in_(SERVED),
        or_(Shift.day < rotation.period_start, Shift.day > last),
    )
    query = (
        select(Shift)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .where(
            Shift.cpts_id == rotation.cpts_id,
            Shift.status == ShiftStatus.active.value,
            Shift.day >= start,
            Shift.day <= end,
            or_(own, others),
        )
        .order_by(Shift.day, Shift.block, Shift.id)
    )
    return [as_assignment(s) for s in session.scalars(query) if str(s.practitioner_id) in ids]


Locks = Literal["strict", "sound", "none"]


def build_input(
    session: Session,
    *,
    rotation: Rotation,
    first_day: date | None = None,
    keep_current: bool = False,
    locks: Locks = "sound",
) -> SolveInput:
    """The solver instance for a rotation from ``first_day`` on.

    Locked shifts stay: all of them with ``locks="strict"`` (a solve or repair; the instance
    is refused if one breaks a hard rule), only those keeping every rule with ``"sound"``
    (checks and reports never fail on a lock gone bad), none with ``"none"``. With
    ``keep_current`` the current shifts are the roster to stay close to (repair), those of
    a profession their practitioner no longer has left out. Shifts fixed around the solved
    days (see :func:`_context`) count against maxima and rest.
    """
    cpts = session.get_one(Cpts, rotation.cpts_id)
    first = max(first_day or rotation.period_start, rotation.period_start)
    days = days_between(first, rotation.period_end)
    calendar = Calendar.of(cpts, rotation.period_start, rotation.period_end)
    current = [s for s in active_shifts(session, rotation) if s.day >= first]
    rules = list(session.scalars(select(CoverageRule).where(CoverageRule.cpts_id == cpts.id)))
    practitioners = _practitioners(
        session, rotation, days, calendar, {s.practitioner_id for s in current}
    )
    profession_of = {p.id: p.profession for p in practitioners}
    locked = [s for s in current if s.locked]
    competence_rules = list_competence_rules(session, cpts_id=cpts.id)
    instance = solver.Instance(
        days=tuple(solver.Day(d, calendar.day_kind(d)) for d in days),
        blocks=tuple(calendar.blocks),
        demands=tuple(demands_on(rules, calendar, days)),
        practitioners=tuple(practitioners),
        rules=solver.Rules(cpts.min_rest_days, cpts.allow_multiple_blocks_per_day),
        locked=tuple(as_assignment(s) for s in locked) if locks == "strict" else (),
        previous_roster=tuple(
            as_assignment(s)
            for s in current
            if keep_current and profession_of.get(str(s.practitioner_id)) == s.profession
        ),
        context=tuple(_context(session, rotation, first, cpts.min_rest_days, set(profession_of))),
        competence_demands=tuple(
            competence_demands(
                competence_rules,
                days=days,
                holidays=calendar.holiday_dates,
                blocks=calendar.blocks,
            )
        ),
    )
    if locks == "sound" and locked:
        while broken := {shift.id for shift, _ in _unsound(instance, locked)}:
            locked = [s for s in locked if s.id not in broken]
        instance = replace(instance, locked=tuple(as_assignment(s) for s in locked))
    return SolveInput(instance=instance, calendar=calendar, first_day=first)


def _unsound(
    instance: solver.Instance, locked: list[Shift]
) -> list[tuple[Shift, solver.Violation]]:
    """The locked shifts that break a hard rule (with each other and the context), and how."""
    violations = solver.check(instance, [as_assignment(s) for s in locked], require_locked=False)
    return [
        (shift, v)
        for v in violations
        for shift in locked
        if str(shift.practitioner_id) == v.practitioner and shift.day == v.day
    ]


def broken_locks(
    session: Session, *, rotation: Rotation, first_day: date | None = None
) -> list[tuple[Shift, solver.Violation]]:
    """Locked shifts from ``first_day`` on that break a hard rule, and how.

    A solve or repair must keep them as they are, so none can run while one breaks a rule.
    """
    unlocked = build_input(session, rotation=rotation, first_day=first_day, locks="none")
    locked = [
        s for s in active_shifts(session, rotation) if s.locked and s.day >= unlocked.first_day
    ]
    return _unsound(unlocked.instance, locked)


def solver_figures(result: solver.Result) -> dict[str, object]:
    """What the coordinator sees of a solve: status (and whether coverage is proven best),
    objective, bound, gap, time."""
    return {
        "status": result.status,
        "coverage_status": result.coverage_status,
        "method": result.method,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "wall_time_s": round(result.wall_time_s, 3),
        "time_to_first_solution_s": result.time_to_first_solution_s,
        "objective_terms": dict(result.objective_terms),
        "uncovered": result.uncovered,
    }


def _new_shift(rotation: Rotation, solve_input: SolveInput, assignment: solver.Assignment) -> Shift:
    starts_at, ends_at = solve_input.calendar.instants(assignment.day, assignment.block)
    practitioner = solve_input.instance.practitioner_by_id[assignment.practitioner]
    return Shift(
        cpts_id=rotation.cpts_id,
        rotation_id=rotation.id,
        practitioner_id=int(assignment.practitioner),
        profession=practitioner.profession,
        sector_id=sector_id_of(assignment.sector),
        day=assignment.day,
        block=assignment.block,
        starts_at=starts_at,
        ends_at=ends_at,
    )


BREAKDOWN_LABELS: dict[str, tuple[str, str]] = {
    ON_CALL_HERE: ("de garde sur ce créneau", "de garde sur ce créneau"),
    ABSENT: ("absent·e", "absent·es"),
    ON_CALL_ELSEWHERE: ("de garde ailleurs ce jour-là", "de garde ailleurs ce jour-là"),
    AT_PERIOD_MAXIMUM: ("au maximum de gardes de la période",) * 2,
    AT_MONTHLY_MAXIMUM: ("au maximum de gardes du mois",) * 2,
    AT_WEEKLY_MAXIMUM: ("au maximum de gardes de la semaine",) * 2,
    ON_CALL_DAY_BEFORE: ("de garde la veille",) * 2,
    ON_CALL_DAY_AFTER: ("de garde le lendemain",) * 2,
    RESTING: ("en repos entre deux gardes",) * 2,
    FREE: ("disponible mais non affecté·e", "disponibles mais non affecté·es"),
}
"""Each label of a gap's breakdown in French, singular and plural."""


def gap_reason(gap: solver.Gap, sector_names: dict[int, str]) -> str:
    """Why a demand stayed uncovered, in French, naming the sector and the profession.

    E.g. "4 médecins généralistes du secteur Nord : 2 absent·es, 1 de garde la veille".
    """
    if gap.competence is not None:
        return competence_gap_reason(gap)
    sector_id = sector_id_of(gap.sector)
    if sector_id is None:
        where = "du territoire"
    else:
        where = f"du secteur {sector_names.get(sector_id, f'n° {sector_id}')}"
    pool = sum(gap.breakdown.values())
    if pool == 0:
        profession = PROFESSION_LABELS.get(gap.profession, gap.profession)
        return f"aucun·e {profession} {where.replace('du ', 'dans le ', 1)}"
    singular = PROFESSION_LABELS.get(gap.profession, gap.profession)
    who = singular if pool == 1 else PROFESSION_PLURALS.get(gap.profession, gap.profession)
    parts = _breakdown_in_french(gap)
    return f"{pool} {who} {where} : {parts}"


def _breakdown_in_french(gap: solver.Gap) -> str:
    """A gap's breakdown in French, e.g. "2 absent·es, 1 de garde la veille"."""
    return ", ".join(
        f"{n} {BREAKDOWN_LABELS.get(label, (label, label))[n > 1]}"
        for label, n in gap.breakdown.items()
    )


def competence_gap_reason(gap: solver.Gap) -> str:
    """Why a competence demand stayed short, in French, naming the competence.

    E.g. "compétence « Kinésithérapie respiratoire (bronchiolite) » : 1
    masseur-kinésithérapeute l'a déclarée : 1 de garde la veille".
    """
    pool = sum(gap.breakdown.values())
    named = f"compétence « {gap.competence} »"
    if pool == 0:
        profession = PROFESSION_LABELS.get(gap.profession, gap.profession)
        return f"{named} : aucun·e {profession} ne l'a déclarée"
    singular = PROFESSION_LABELS.get(gap.profession, gap.profession)
    who = singular if pool == 1 else PROFESSION_PLURALS.get(gap.profession, gap.profession)
    parts = _breakdown_in_french(gap)
    declared = "l'a déclarée" if pool == 1 else "l'ont déclarée"
    return f"{named} : {pool} {who} {declared} : {parts}"


def replace_gaps(
    session: Session, *, rotation: Rotation, gaps: Iterable[solver.Gap], first_day: date
) -> None:
    """The rotation's stored gaps from ``first_day`` on, replaced by ``gaps``.

    The stored gaps are the one source of truth: the solver figures' ``uncovered`` is set to
    their total.
    """
    for old in session.scalars(
        select(Gap).where(Gap.rotation_id == rotation.id, Gap.day >= first_day)
    ):
        session.delete(old)
    names = session.execute(
        select(Sector.id, Sector.name).where(Sector.cpts_id == rotation.cpts_id)
    )
    sector_names = {sector_id: name for sector_id, name in names}
    session.add_all(
        Gap(
            cpts_id=rotation.cpts_id,
            rotation_id=rotation.id,
            day=gap.day,
            block=gap.block,
            profession=gap.profession,
            sector_id=None if gap.competence is not None else sector_id_of(gap.sector),
            missing=gap.missing,
            reason=gap_reason(gap, sector_names),
        )
        for gap in gaps
    )
    session.flush()
    if rotation.solver_figures is not None:
        total = session.scalar(
            select(func.coalesce(func.sum(Gap.missing), 0)).where(Gap.rotation_id == rotation.id)
        )
        rotation.solver_figures = {**rotation.solver_figures, "uncovered": int(total or 0)}


def _replace_fair_shares(session: Session, rotation: Rotation, result: solver.Result) -> None:
    for old in session.scalars(select(FairShare).where(FairShare.rotation_id == rotation.id)):
        session.delete(old)
    session.flush()
    session.add_all(
        FairShare(
            cpts_id=rotation.cpts_id,
            rotation_id=rotation.id,
            practitioner_id=int(load.practitioner),
            weekday_fair_share=load.weekday_fair_share,
            special_fair_share=load.special_fair_share,
        )
        for load in result.loads
    )


def store_solution(
    session: Session, *, rotation: Rotation, solve_input: SolveInput, result: solver.Result
) -> None:
    """A draft's unlocked shifts, gaps and fair shares replaced by the solver's roster."""
    locked = set()
    for shift in active_shifts(session, rotation):
        if shift.locked:
            locked.add(as_assignment(shift))
        else:
            session.delete(shift)
    session.flush()
    session.add_all(
        _new_shift(rotation, solve_input, a) for a in result.assignments if a not in locked
    )
    rotation.solver_figures = solver_figures(result)
    replace_gaps(session, rotation=rotation, gaps=result.gaps, first_day=rotation.period_start)
    _replace_fair_shares(session, rotation, result)
    session.flush()


def store_repair(
    session: Session, *, rotation: Rotation, solve_input: SolveInput, result: solver.Result
) -> tuple[list[Shift], list[Shift]]:
    """Apply a repaired roster from ``first_day`` on: returns (cancelled, added) shifts.

    Unchanged shifts are kept as they are; removed ones are cancelled (kept for history and
    calendar feeds), never deleted. A shift of a profession its practitioner no longer has
    is replaced, even by the same practitioner, day and sector.
    """
    wanted = set(result.assignments)
    current = [s for s in active_shifts(session, rotation) if s.day >= solve_input.first_day]
    profession_of = {p.id: p.profession for p in solve_input.instance.practitioners}
    kept = set()
    cancelled = []
    for shift in current:
        assignment = as_assignment(shift)
        if assignment in wanted and profession_of.get(assignment.practitioner) == shift.profession:
            kept.add(assignment)
        else:
            shift.status = ShiftStatus.cancelled.value
            shift.sequence += 1
            cancelled.append(shift)
    session.flush()
    added = [_new_shift(rotation, solve_input, a) for a in sorted(wanted - kept)]
    session.add_all(added)
    rotation.solver_figures = solver_figures(result)
    replace_gaps(session, rotation=rotation, gaps=result.gaps, first_day=solve_input.first_day)
    session.flush()
    return cancelled, added
