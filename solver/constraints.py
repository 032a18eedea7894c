"""Hard rules, one function each; the docstring states the rule.

Availability, profession and sector need no constraint: only candidate shifts have a
variable (see `variables.py`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from solver.instance import Assignment, Instance, month_of, week_of
from solver.variables import Variables


def add_demand_cap(model: cp_model.CpModel, instance: Instance, v: Variables) -> None:
    """No more practitioners than demanded per day, block, profession and sector."""
    by_demand: dict[tuple[dt.date, str, str, str], list[cp_model.IntVar]] = defaultdict(list)
    for a, var in v.assign.items():
        profession = instance.practitioner_by_id[a.practitioner].profession
        by_demand[(a.day, a.block, profession, a.sector)].append(var)
    for d in instance.demands:
        shifts = by_demand.get((d.day, d.block, d.profession, d.sector), [])
        if len(shifts) > d.count:
            model.add(sum(shifts) <= d.count)


def add_one_sector_per_block(model: cp_model.CpModel, instance: Instance, v: Variables) -> None:
    """A practitioner serves at most one sector in a given day and block."""
    by_block: dict[tuple[str, dt.date, str], list[cp_model.IntVar]] = defaultdict(list)
    for a, var in v.assign.items():
        by_block[(a.practitioner, a.day, a.block)].append(var)
    for shifts in by_block.values():
        if len(shifts) > 1:
            model.add_at_most_one(shifts)


def add_one_block_per_day(model: cp_model.CpModel, instance: Instance, v: Variables) -> None:
    """Unless the rules allow several, a practitioner is on call for at most one block a day."""
    if instance.rules.allow_multiple_blocks_per_day:
        return
    by_day: dict[tuple[str, dt.date], list[cp_model.IntVar]] = defaultdict(list)
    for a, var in v.assign.items():
        by_day[(a.practitioner, a.day)].append(var)
    for shifts in by_day.values():
        if len(shifts) > 1:
            model.add_at_most_one(shifts)


def add_max_per_period(model: cp_model.CpModel, instance: Instance, v: Variables) -> None:
    """A practitioner holds at most `max_shifts_per_period` shifts over the horizon."""
    for pid, shifts in v.shifts_by_practitioner.items():
        limit = instance.practitioner_by_id[pid].max_shifts_per_period
        if limit is not None and len(shifts) > limit:
            model.add(sum(v.assign[a] for a in shifts) <= limit)


def add_max_per_week(model: cp_model.CpModel, instance: Instance, v: Variables) -> None:
    """A practitioner holds at most `max_shifts_per_week` shifts per ISO week (Monday-Sunday),
    their context shifts of that week included."""
    for pid, shifts in v.shifts_by_practitioner.items():
        limit = instance.practitioner_by_id[pid].max_shifts_per_week
        if limit is not None:
            _cap_per_calendar_unit(model, v, shifts, limit, week_of, instance.context_in_week)


def add_max_per_month(model: cp_model.CpModel, instance: Instance, v: Variables) -> None:
    """A practitioner holds at most `max_shifts_per_month` shifts per calendar month, their
    context shifts of that month included."""
    for pid, shifts in v.shifts_by_practitioner.items():
        limit = instance.practitioner_by_id[pid].max_shifts_per_month
        if limit is not None:
            _cap_per_calendar_unit(model, v, shifts, limit, month_of, instance.context_in_month)


def _cap_per_calendar_unit(
    model: cp_model.CpModel,
    v: Variables,
    shifts: list[Assignment],
    limit: int,
    unit_of: Callable[[dt.date], tuple[int, int]],
    fixed_in: Callable[[str, dt.date], int],
) -> None:
    """At most `limit` shifts per week or month, less the fixed ones already in it."""
    units: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for a in shifts:
        units[unit_of(a.day)].append(a)
    for unit in units.values():
        room = max(0, limit - fixed_in(unit[0].practitioner, unit[0].day))
        if len(unit) > room:
            model.add(sum(v.assign[a] for a in unit) <= room)


def add_min_rest(model: cp_model.CpModel, instance: Instance, v: Variables) -> None:
    """At least `min_rest_days` days off between two on-call days.

    Written as: every window of `min_rest_days + 1` consecutive calendar days holds at most
    one on-call day. Rest around the shifts fixed outside the horizon (history, context) is
    enforced by the candidate shifts.
    """
    rest = instance.rules.min_rest_days
    if rest == 0:
        return
    for pid in v.shifts_by_practitioner:
        days = v.days_of(pid)
        for i, first in enumerate(days):
            window = [d for d in days[i:] if (d - first).days <= rest]
            if len(window) > 1:
                model.add(sum(x for d in window for x in v.worked[(pid, d)]) <= 1)


def add_locked(model: cp_model.CpModel, instance: Instance, v: Variables) -> None:
    """Every locked assignment is in the roster."""
    for a in instance.locked:
        model.add(v.assign[a] == 1)


HARD_RULES = (
    add_demand_cap,
    add_one_sector_per_block,
    add_one_block_per_day,
    add_max_per_period,
    add_max_per_week,
    add_max_per_month,
    add_min_rest,
    add_locked,
)
