"""Soft rules as named penalty terms, each already multiplied by its weight.

Coverage comes first and alone (`uncovered`); the other terms are summed into the
objective of the second stage, once coverage is held at its best. `solve` reports each
term's value so a roster's cost can be read term by term.

Terms after coverage are given as builders: a term's variables and constraints enter the
model only when a stage first needs it, so earlier stages do not carry them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from solver.config import SolverConfig
from solver.instance import Assignment, Instance
from solver.memo import per_instance
from solver.shares import bands
from solver.spacing import crowding
from solver.variables import Terms, Variables

ObjectiveTerms = dict[str, cp_model.LinearExprT]
TermBuilders = dict[str, Callable[[], cp_model.LinearExprT]]


def term_builders(
    model: cp_model.CpModel, instance: Instance, v: Variables, config: SolverConfig
) -> TermBuilders:
    """Builders of the penalty terms after coverage, in decreasing order of weight."""
    w = config.weights
    builders: TermBuilders = {
        "fairness": lambda: fairness(model, instance, v, config),
        "avoided_day": lambda: w.avoided_day * avoided_days(instance, v),
        "preferred_day_missed": lambda: w.preferred_day_missed * preferred_days_missed(instance, v),
    }
    if instance.previous_roster:
        builders["stability"] = lambda: w.stability * changes(instance, v)
    window = config.spacing_window_days
    if w.spacing and window > instance.rules.min_rest_days + 1:
        builders["spacing"] = lambda: w.spacing * crowding(model, instance, v, window)
    return builders


def demand_shifts(instance: Instance, v: Variables) -> list[tuple[list[cp_model.IntVar], int]]:
    """Each demand's candidate shifts and the number of practitioners it wants."""
    by_demand: dict[tuple[dt.date, str, str, str], list[cp_model.IntVar]] = defaultdict(list)
    for a, var in v.assign.items():
        profession = instance.practitioner_by_id[a.practitioner].profession
        by_demand[(a.day, a.block, profession, a.sector)].append(var)
    return [
        (by_demand.get((d.day, d.block, d.profession, d.sector), []), d.count)
        for d in instance.demands
    ]


def uncovered(instance: Instance, v: Variables) -> cp_model.LinearExprT:
    """Practitioners missing over all demands: demand minus assigned (never negative)."""
    shifts = demand_shifts(instance, v)
    assigned = cp_model.LinearExpr.sum([x for xs, _ in shifts for x in xs])
    return sum(count for _, count in shifts) - assigned


def fairness(
    model: cp_model.CpModel, instance: Instance, v: Variables, config: SolverConfig
) -> cp_model.LinearExprT:
    """Shifts outside each practitioner's own fair-share band, per day class, per FTE.

    The first shift above `high` (or below `low`) costs `fairness / fte`, each further one
    `fairness + fairness_far / fte`: a convex penalty, so spreading a surplus beats piling it
    on one practitioner.
    """
    loads: dict[tuple[str, bool], list[cp_model.IntVar]] = defaultdict(list)
    for a, var in v.assign.items():
        loads[(a.practitioner, instance.day_by_date[a.day].is_special)].append(var)
    weights = config.weights
    penalties: list[tuple[int, cp_model.IntVar]] = []
    for key, band in sorted(bands(instance).items()):
        shifts = loads.get(key, [])
        if not shifts:
            continue
        fte = instance.practitioner_by_id[key[0]].fte
        near, far = round(weights.fairness / fte), round(weights.fairness_far / fte)
        name = f"{key[0]},{'special' if key[1] else 'weekday'}"
        load = [(1, x) for x in shifts]
        over = _outside(model, v, load, -band.high, len(shifts) - band.high, f"over[{name}]")
        penalties += [(near, over[0]), (near + far, over[1])]
        if band.low > 0:
            negated = [(-1, x) for x in shifts]
            under = _outside(model, v, negated, band.low, band.low, f"under[{name}]")
            penalties += [(near, under[0]), (near + far, under[1])]
    return cp_model.LinearExpr.weighted_sum([x for _, x in penalties], [c for c, _ in penalties])


def _outside(
    model: cp_model.CpModel, v: Variables, terms: Terms, constant: int, most: int, name: str
) -> tuple[cp_model.IntVar, cp_model.IntVar]:
    """How far `sum(terms) + constant` exceeds zero: the first unit, and the ones beyond."""
    far = v.new_excess(model, terms, constant - 1, most - 1, f"{name}.far")
    near = v.new_excess(model, [*terms, (-1, far)], constant, 1, f"{name}.near")
    return near, far


def avoided_days(instance: Instance, v: Variables) -> cp_model.LinearExprT:
    """Shifts falling on a day the practitioner asked to avoid."""
    return cp_model.LinearExpr.sum(
        [
            var
            for a, var in v.assign.items()
            if a.day in instance.practitioner_by_id[a.practitioner].avoided_days
        ]
    )


def preferred_days_missed(instance: Instance, v: Variables) -> cp_model.LinearExprT:
    """Shifts off the preferred days, within a day class where the practitioner gave some.

    Fairness settles how many weekday and weekend/holiday shifts each one takes; this term
    only chooses which days, so preferring Tuesdays does not count against weekend shifts.
    """
    return cp_model.LinearExpr.sum(
        [var for a, var in v.assign.items() if misses_preference(instance, a)]
    )


def misses_preference(instance: Instance, a: Assignment) -> bool:
    """Whether shift `a` falls off the practitioner's preferred days of its day class."""
    special = instance.day_by_date[a.day].is_special
    return special in _preference_classes(instance).get(a.practitioner, ()) and (
        a.day not in instance.practitioner_by_id[a.practitioner].preferred_days
    )


@per_instance
def _preference_classes(instance: Instance) -> dict[str, set[bool]]:
    """The day classes (special or not) in which each practitioner has preferred days."""
    return {
        p.id: {
            instance.day_by_date[d].is_special
            for d in p.preferred_days
            if d in instance.day_by_date
        }
        for p in instance.practitioners
    }


def changes(instance: Instance, v: Variables) -> cp_model.LinearExprT:
    """Assignments added or dropped against the previous roster (those that can still be kept)."""
    previous = set(instance.previous_roster)
    kept = [var for a, var in v.assign.items() if a in previous]
    added = [var for a, var in v.assign.items() if a not in previous]
    return len(kept) - cp_model.LinearExpr.sum(kept) + cp_model.LinearExpr.sum(added)
