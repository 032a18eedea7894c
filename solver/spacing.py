"""Even spacing: how crowded each practitioner's on-call days are, as a penalty term.

Two on-call days `k` days apart (`k < window`) cost `window - k`: the number of windows of
`window` consecutive days holding both. Pairs inside the rest period cannot happen.

When the window is at most twice the rest cycle (`window <= 2 * (min_rest_days + 1)`, the
default: rest 1, window 4), only consecutive on-call days can be that close, and each
practitioner's month is a path: from one on-call day to the next, either by a crowded step
(a boolean per close pair, paying its cost) or through a chain of "free" days that starts
`window` days later. A unit of flow runs along each practitioner's path. This network
formulation is exact for whole rosters, and its linear relaxation is far tighter than one
boolean per pair: a practitioner who must take many shifts in few available days cannot
spread fractions of shifts to look uncrowded, so CP-SAT gets a useful lower bound.

Wider windows fall back to one boolean per close pair, implied by its two days.
"""

from __future__ import annotations

import bisect
import datetime as dt

from ortools.sat.python import cp_model

from solver.instance import Instance
from solver.variables import Variables

_Flow = list[tuple[int, cp_model.IntVar]]
"""Flow along arcs of a practitioner's path, or penalties: (coefficient, variable) terms."""


def crowding(
    model: cp_model.CpModel, instance: Instance, v: Variables, window: int
) -> cp_model.LinearExprT:
    """Sum over practitioners of `window - k` per pair of on-call days `k < window` apart."""
    rest = instance.rules.min_rest_days
    along = _path if window <= 2 * (rest + 1) else _pairs
    return cp_model.LinearExpr.sum(
        [along(model, v, pid, rest, window) for pid in v.shifts_by_practitioner]
    )


def _close_days(days: list[dt.date], rest: int, window: int) -> list[tuple[dt.date, dt.date]]:
    """Pairs of candidate days further apart than the rest period but closer than `window`."""
    pairs = []
    for i, first in enumerate(days):
        for second in days[i + 1 :]:
            k = (second - first).days
            if k >= window:
                break
            if k > rest:
                pairs.append((first, second))
    return pairs


def _pairs(
    model: cp_model.CpModel, v: Variables, pid: str, rest: int, window: int
) -> cp_model.LinearExprT:
    """One boolean per close pair, at least 'both days on call' (a clause)."""
    penalties: _Flow = []
    for first, second in _close_days(v.days_of(pid), rest, window):
        terms = [(1, x) for d in (first, second) for x in v.worked[(pid, d)]]
        pair = v.new_excess(model, terms, -1, 1, f"crowded[{pid},{first},{second}]")
        penalties.append((window - (second - first).days, pair))
    return _expr(penalties)


def _path(
    model: cp_model.CpModel, v: Variables, pid: str, rest: int, window: int
) -> cp_model.LinearExprT:
    """The practitioner's on-call days as a path with crowded steps and free stretches.

    `step[e, d]`: on call on `e` and next on `d`, closer than `window`; the rest of the
    flow out of `e` (`worked(e) - steps out`) jumps to the first candidate day at least
    `window` days later, into the free chain; `free[d]`: free on day `d` and not on call
    that day. Flow into each day's free node equals flow out: starting a shift that day,
    or staying free.
    """
    days = v.days_of(pid)
    worked: dict[dt.date, _Flow] = {d: [(1, x) for x in v.worked[(pid, d)]] for d in days}
    steps_in: dict[dt.date, _Flow] = {d: [] for d in days}
    steps_out: dict[dt.date, _Flow] = {d: [] for d in days}
    penalties: _Flow = []
    for first, second in _close_days(days, rest, window):
        step = v.new_flow(
            model, [*worked[first], *worked[second]], -1, f"step[{pid},{first},{second}]"
        )
        steps_out[first].append((1, step))
        steps_in[second].append((1, step))
        penalties.append((window - (second - first).days, step))
    jumping: dict[dt.date, _Flow] = {d: [] for d in days}
    for e in days:
        later = bisect.bisect_left(days, e + dt.timedelta(days=window))
        if later < len(days):
            jumping[days[later]] += [*worked[e], *_negated(steps_out[e])]
    previous: _Flow = []
    for i, d in enumerate(days):
        into = [*previous, *jumping[d]]
        starting = [*worked[d], *_negated(steps_in[d])]
        free = v.new_flow(model, [*into, *_negated(starting)], int(i == 0), f"free[{pid},{d}]")
        model.add(_expr(into) + int(i == 0) == _expr([*starting, (1, free)]))
        model.add(_expr(steps_in[d]) <= _expr(worked[d]))
        model.add(_expr(steps_out[d]) <= _expr(worked[d]))
        previous = [(1, free)]
    return _expr(penalties)


def _negated(terms: _Flow) -> _Flow:
    return [(-c, x) for c, x in terms]


def _expr(terms: _Flow) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.weighted_sum([x for _, x in terms], [c for c, _ in terms])
