"""Why each uncovered demand stayed uncovered, in data terms."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from solver.instance import Assignment, Demand, Instance, Practitioner
from solver.result import Gap

ON_CALL_HERE = "on call here"


def explain(instance: Instance, assignments: Iterable[Assignment]) -> list[Gap]:
    """One `Gap` per demand the roster leaves short, with what kept each possible practitioner.

    Every practitioner of the demand's profession and sector is counted under the first
    reason that applies: on call here, absent, on call elsewhere that day, at period
    maximum, at weekly maximum, resting around another on-call day, or free but unassigned.
    """
    roster = list(assignments)
    by_practitioner: dict[str, list[Assignment]] = defaultdict(list)
    served: Counter[tuple[dt.date, str, str, str]] = Counter()
    for a in roster:
        by_practitioner[a.practitioner].append(a)
        profession = instance.practitioner_by_id[a.practitioner].profession
        served[(a.day, a.block, profession, a.sector)] += 1
    gaps = []
    for d in instance.demands:
        missing = d.count - served[(d.day, d.block, d.profession, d.sector)]
        if missing > 0:
            gaps.append(_gap(instance, d, missing, by_practitioner))
    return sorted(gaps, key=lambda g: (g.day, g.block, g.profession, g.sector))


def _gap(instance: Instance, d: Demand, missing: int, roster: dict[str, list[Assignment]]) -> Gap:
    pool = [
        p for p in instance.practitioners if p.profession == d.profession and d.sector in p.sectors
    ]
    breakdown = Counter(_reason(instance, p, d, roster.get(p.id, [])) for p in pool)
    if pool:
        parts = ", ".join(f"{n} {label}" for label, n in breakdown.items())
        reason = f"{_plural(len(pool), d.profession)} in sector {d.sector}: {parts}"
    else:
        reason = f"no {d.profession} works in sector {d.sector}"
    return Gap(d.day, d.block, d.profession, d.sector, missing, reason, dict(breakdown))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _reason(instance: Instance, p: Practitioner, d: Demand, shifts: list[Assignment]) -> str:
    same_day = [a for a in shifts if a.day == d.day]
    if any(a.block == d.block and a.sector == d.sector for a in same_day):
        return ON_CALL_HERE
    if not p.is_available(d.day, d.block):
        return "absent"
    if any(a.block == d.block for a in same_day) or (
        same_day and not instance.rules.allow_multiple_blocks_per_day
    ):
        return "on call elsewhere that day"
    if p.max_shifts_per_period is not None and len(shifts) >= p.max_shifts_per_period:
        return "at period maximum"
    week = d.day.isocalendar()[:2]
    in_week = [a for a in shifts if a.day.isocalendar()[:2] == week]
    if p.max_shifts_per_week is not None and len(in_week) >= p.max_shifts_per_week:
        return "at weekly maximum"
    return _rest_reason(instance, p, d.day, shifts) or "free but unassigned"


def _rest_reason(
    instance: Instance, p: Practitioner, day: dt.date, shifts: list[Assignment]
) -> str | None:
    rest = instance.rules.min_rest_days
    last = p.history.last_on_call
    if last is not None and 0 <= (day - last).days <= rest:
        return "resting after the previous period"
    for a in sorted(shifts):
        gap = (a.day - day).days
        if gap != 0 and abs(gap) <= rest:
            if abs(gap) == 1:
                return "on call the day before" if gap < 0 else "on call the day after"
            return f"on call within {rest} days"
    return None
