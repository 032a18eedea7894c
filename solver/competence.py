"""Coverage by competence: at least N practitioners declaring a competence on call.

A `CompetenceDemand` asks for `count` practitioners of a profession who declare a
competence, on call on a day and block in any sector. They are counted among the shifts
the ordinary demands already ask for (a competence never adds a shift): the rule chooses
*who* serves. Its shortfall is part of the coverage term, minimised first and then held,
so the rule is met whenever some roster can meet it; when none can, what is missing is a
`Gap` naming the competence, with what kept each holder away.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from ortools.sat.python import cp_model

from solver.instance import Assignment, CompetenceDemand, Demand, Instance, Practitioner
from solver.result import Gap
from solver.variables import Variables


def holders(instance: Instance, demand: CompetenceDemand) -> list[Practitioner]:
    """The practitioners of the demand's profession who declare its competence."""
    return [
        p
        for p in instance.practitioners
        if p.profession == demand.profession and demand.competence in p.competences
    ]


def competence_shortfall(
    model: cp_model.CpModel, instance: Instance, v: Variables
) -> cp_model.LinearExprT:
    """Holders missing over all competence demands (zero without any)."""
    if not instance.competence_demands:
        return 0
    by_slot: dict[tuple[dt.date, str], list[Assignment]] = defaultdict(list)
    for a in v.assign:
        by_slot[(a.day, a.block)].append(a)
    missing = []
    for i, d in enumerate(instance.competence_demands):
        if d.count == 0:
            continue
        ids = {p.id for p in holders(instance, d)}
        shifts = [(-1, v.assign[a]) for a in by_slot[(d.day, d.block)] if a.practitioner in ids]
        missing.append(v.new_excess(model, shifts, d.count, d.count, f"competence_short[{i}]"))
    return cp_model.LinearExpr.sum(missing)


def competence_gaps(instance: Instance, roster: Iterable[Assignment]) -> list[Gap]:
    """One `Gap` per competence demand the roster leaves short, naming the competence and
    counting its holders by what kept them (the reasons of `solver.explain`)."""
    from solver.explain import ON_CALL_HERE, reason_for  # explain lists these gaps too

    by_practitioner: dict[str, list[Assignment]] = defaultdict(list)
    for a in roster:
        by_practitioner[a.practitioner].append(a)
    gaps = []
    for d in instance.competence_demands:
        pool = holders(instance, d)
        breakdown: Counter[str] = Counter()
        for p in pool:
            shifts = by_practitioner.get(p.id, [])
            if any(a.day == d.day and a.block == d.block for a in shifts):
                breakdown[ON_CALL_HERE] += 1
            else:
                seat = Demand(d.day, d.block, d.profession, p.sectors[0], d.count)
                breakdown[reason_for(instance, p, seat, shifts)] += 1
        missing = d.count - breakdown[ON_CALL_HERE]
        if missing <= 0:
            continue
        who = f"{len(pool)} {d.profession}" + ("" if len(pool) == 1 else "s")
        if pool:
            parts = ", ".join(f"{n} {label}" for label, n in breakdown.items())
            reason = f"{who} with competence {d.competence!r}: {parts}"
        else:
            reason = f"no {d.profession} declares competence {d.competence!r}"
        gaps.append(
            Gap(d.day, d.block, d.profession, "", missing, reason, dict(breakdown), d.competence)
        )
    return gaps
