"""Who could serve which demand: the candidate shifts the model and the greedy draw from."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from solver.instance import Assignment, Instance, Practitioner


def rested_after_history(practitioner: Practitioner, day: dt.date, min_rest_days: int) -> bool:
    """Whether `day` respects the rest rule after the last shift before the period."""
    last = practitioner.history.last_on_call
    return last is None or (day - last).days > min_rest_days


def candidate_shifts(instance: Instance) -> list[Assignment]:
    """Every shift a practitioner could take on its own, sorted.

    A candidate matches a positive demand of the practitioner's profession in one of their
    sectors, on a day and block they are available and rested after the previous period.
    """
    wanted: dict[str, list[tuple[dt.date, str, str]]] = defaultdict(list)
    for d in instance.demands:
        if d.count > 0:
            wanted[d.profession].append((d.day, d.block, d.sector))
    rest = instance.rules.min_rest_days
    shifts = [
        Assignment(p.id, day, block, sector)
        for p in instance.practitioners
        for day, block, sector in wanted[p.profession]
        if sector in p.sectors and p.is_available(day, block) and rested_after_history(p, day, rest)
    ]
    return sorted(shifts)
