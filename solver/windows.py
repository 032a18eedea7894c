"""Time-window neighbourhood search: re-solve a few weeks of a roster, the rest frozen.

On rosters of several months, the stages after coverage (spacing above all) improve a
roster only by moving many shifts of many practitioners at once, which a search over the
whole period rarely finds in its budget. With every shift outside a window of three weeks
frozen at its value, what is left is small enough to be solved to optimality in a fraction
of a second; sliding that window a week at a time over the period, twice, takes the
starting roster most of the way to the best one. Windows run in a fixed order, each within
a fixed deterministic work limit, so the result is reproducible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from solver.instance import Assignment
from solver.model import BuiltModel

WINDOW_DAYS = 21
"""Days re-solved at once."""

STEP_DAYS = 7
"""How far the window slides each time."""

SWEEPS = 2
"""Sweeps over the period, unless a sweep improves nothing."""


def windows(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """First and last day of each window over `days` (sorted), in sweep order; none over
    less than two windows' days (a month): the search over the whole roster does better
    there."""
    if len(days) < 2 * WINDOW_DAYS:
        return []
    starts = range(0, len(days) - WINDOW_DAYS + STEP_DAYS, STEP_DAYS)
    return [(days[i], days[min(i + WINDOW_DAYS, len(days)) - 1]) for i in starts]


@contextmanager
def frozen_outside(
    built: BuiltModel, roster: set[Assignment], first: dt.date, last: dt.date
) -> Iterator[None]:
    """Every candidate shift outside [first, last] fixed at its value in `roster` while the
    block runs (variable domains in the model, restored after)."""
    variables = built.model.proto.variables
    fixed = []
    for a, index in built.variables.assign_index.items():
        if first <= a.day <= last:
            continue
        domain = variables[index].domain
        value = int(a in roster)
        domain[0] = domain[1] = value
        fixed.append(domain)
    try:
        yield
    finally:
        for domain in fixed:
            domain[0], domain[1] = 0, 1
