"""Why each uncovered demand stayed uncovered, in data terms (competence demands too:
their gaps name the competence, see `solver/competence.py`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from solver.competence import competence_gaps
from solver.instance import Assignment, Demand, Instance, Practitioner, month_of, week_of
from solver.result import Gap

ON_CALL_HERE = "on call here"
ABSENT = "absent"
ON_CALL_ELSEWHERE = "on call elsewhere that day"
AT_PERIOD_MAXIMUM = "at period maximum"
AT_MONTHLY_MAXIMUM = "at monthly maximum"
AT_WEEKLY_MAXIMUM = "at weekly maximum"
ON_CALL_DAY_BEFORE = "on call the day before"
ON_CALL_DAY_AFTER = "on call the day after"
RESTING = "resting between on-call days"
FREE = "free but unassigned"
REASONS = (
    ON_CALL_HERE,
    ABSENT,
    ON_CALL_ELSEWHERE,
    AT_PERIOD_MAXIMUM,
    AT_MONTHLY_MAXIMUM,
    AT_WEEKLY_MAXIMUM,
    ON_CALL_DAY_BEFORE,
    ON_CALL_DAY_AFTER,
    RESTING,
    FREE,
)
"""Every label of a gap's breakdown, in the order they are tried."""


def explain(instance: Instance, assignments: Iterable[Assignment]) -> list[Gap]:
    """One `Gap` per demand the roster leaves short, with what kept each possible practitioner.

    Every practitioner of the demand's profession and sector is counted under the first
    reason of `REASONS` that applies. Maxima and rest count the shifts fixed outside the
    horizon (history and context) too.
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
    gaps += competence_gaps(instance, roster)
    return sorted(gaps, key=lambda g: (g.day, g.block, g.profession, g.sector, g.competence or ""))


def _gap(instance: Instance, d: Demand, missing: int, roster: dict[str, list[Assignment]]) -> Gap:
    pool = [
        p for p in instance.practitioners if p.profession == d.profession and d.sector in p.sectors
    ]
    breakdown = Counter(reason_for(instance, p, d, roster.get(p.id, [])) for p in pool)
    if pool:
        parts = ", ".join(f"{n} {label}" for label, n in breakdown.items())
        reason = f"{_plural(len(pool), d.profession)} in sector {d.sector}: {parts}"
    else:
        reason = f"no {d.profession} works in sector {d.sector}"
    return Gap(d.day, d.block, d.profession, d.sector, missing, reason, dict(breakdown))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def reason_for(instance: Instance, p: Practitioner, d: Demand, shifts: list[Assignment]) -> str:
    """The first of `REASONS` that kept `p` (holding `shifts`) from serving demand `d`."""
    same_day = [a for a in shifts if a.day == d.day]
    if any(a.block == d.block and a.sector == d.sector for a in same_day):
        return ON_CALL_HERE
    if not p.is_available(d.day, d.block):
        return ABSENT
    if any(a.block == d.block for a in same_day) or (
        same_day and not instance.rules.allow_multiple_blocks_per_day
    ):
        return ON_CALL_ELSEWHERE
    if p.max_shifts_per_period is not None and len(shifts) >= p.max_shifts_per_period:
        return AT_PERIOD_MAXIMUM
    in_month = sum(month_of(a.day) == month_of(d.day) for a in shifts)
    monthly = p.max_shifts_per_month
    if monthly is not None and in_month + instance.context_in_month(p.id, d.day) >= monthly:
        return AT_MONTHLY_MAXIMUM
    in_week = sum(week_of(a.day) == week_of(d.day) for a in shifts)
    weekly = p.max_shifts_per_week
    if weekly is not None and in_week + instance.context_in_week(p.id, d.day) >= weekly:
        return AT_WEEKLY_MAXIMUM
    return _rest_reason(instance, p, d.day, shifts) or FREE


def _rest_reason(
    instance: Instance, p: Practitioner, day: dt.date, shifts: list[Assignment]
) -> str | None:
    """Why the rest rule keeps `p` off `day`, from the nearest on-call day around it."""
    rest = instance.rules.min_rest_days
    around = [*instance.context_days.get(p.id, ()), *(a.day for a in shifts)]
    if p.history.last_on_call is not None:
        around.append(p.history.last_on_call)
    offsets = [(other - day).days for other in around]
    near = sorted((abs(n), n) for n in offsets if n != 0 and abs(n) <= rest)
    if not near:
        return None
    nearest = near[0][1]
    if abs(nearest) == 1:
        return ON_CALL_DAY_BEFORE if nearest < 0 else ON_CALL_DAY_AFTER
    return RESTING
