"""Who could serve which demand: the candidate shifts the model and the greedy draw from."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from solver.instance import Assignment, Instance, Practitioner
from solver.memo import per_instance


def is_rested(instance: Instance, practitioner: Practitioner, day: dt.date) -> bool:
    """Whether `day` respects the rest rule around the shifts fixed outside the horizon.

    Those are the last shift before the period (history) and the context shifts.
    """
    rest = instance.rules.min_rest_days
    last = practitioner.history.last_on_call
    if last is not None and (day - last).days <= rest:
        return False
    return all(
        abs((day - fixed).days) > rest for fixed in instance.context_days.get(practitioner.id, ())
    )


@per_instance
def candidate_shifts(instance: Instance) -> tuple[Assignment, ...]:
    """Every shift a practitioner could take on its own, sorted (computed once per instance).

    A candidate matches a positive demand of the practitioner's profession in one of their
    sectors, on a day and block they are available and rested around the shifts fixed
    outside the horizon.
    """
    wanted: dict[str, list[tuple[dt.date, str, str]]] = defaultdict(list)
    for d in instance.demands:
        if d.count > 0:
            wanted[d.profession].append((d.day, d.block, d.sector))
    shifts = [
        Assignment(p.id, day, block, sector)
        for p in instance.practitioners
        for day, block, sector in wanted[p.profession]
        if sector in p.sectors and p.is_available(day, block) and is_rested(instance, p, day)
    ]
    return tuple(sorted(shifts))
