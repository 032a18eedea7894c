"""Fair shares: how many shifts each practitioner should carry, weighted by FTE and availability.

Each demanded shift is shared among the practitioners who could take it, in proportion to
their FTE (a practitioner in several sectors splits their FTE between the sectors wanting
them that day and block). A practitioner's fair share is the sum of their parts, separately
for weekdays and for weekends/holidays; their target adds what history says they owe.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from solver.eligibility import candidate_shifts
from solver.instance import Instance, Practitioner, month_of, week_of
from solver.memo import per_instance

ShareKey = tuple[str, bool]  # (practitioner id, special day class)


@dataclass(frozen=True)
class Band:
    """Target load of one practitioner in one day class, with the band penalised outside."""

    fair_share: float
    target: float
    low: int
    high: int


def fair_shares(instance: Instance) -> dict[ShareKey, float]:
    """This period's fair share per (practitioner, special day class), before history."""
    by_id = instance.practitioner_by_id
    candidates = candidate_shifts(instance)
    sectors_wanting: dict[tuple[str, dt.date, str], int] = defaultdict(int)
    for c in candidates:
        sectors_wanting[(c.practitioner, c.day, c.block)] += 1
    weights: dict[tuple[dt.date, str, str, str], dict[str, float]] = defaultdict(dict)
    for c in candidates:
        p = by_id[c.practitioner]
        weight = p.fte / sectors_wanting[(c.practitioner, c.day, c.block)]
        weights[(c.day, c.block, p.profession, c.sector)][p.id] = weight
    shares: dict[ShareKey, float] = {
        (p.id, s): 0.0 for p in instance.practitioners for s in (False, True)
    }
    for d in instance.demands:
        pool = weights.get((d.day, d.block, d.profession, d.sector), {})
        total = sum(pool.values())
        special = instance.day_by_date[d.day].is_special
        for pid, weight in pool.items():
            shares[(pid, special)] += d.count * weight / total
    return shares


@per_instance
def bands(instance: Instance) -> Mapping[ShareKey, Band]:
    """Fair share, history-adjusted target and integer band per (practitioner, day class),
    computed once per instance.

    Colleagues who share the same shifts (same profession, sectors and day class) settle
    their history and their period maxima among themselves: each target is
    `share + carry - level * share`, kept between zero and the practitioner's cap, with one
    `level` per group chosen so the group's targets add up to its shares. So all targets
    can be met at once. A period maximum is split between day classes by share.
    """
    shares = fair_shares(instance)
    caps = _caps(instance, shares)
    groups: dict[tuple[str, tuple[str, ...], bool], list[ShareKey]] = defaultdict(list)
    for pid, special in shares:
        p = instance.practitioner_by_id[pid]
        groups[(p.profession, p.sectors, special)].append((pid, special))
    result = {}
    for keys in groups.values():
        terms = [
            (shares[k], instance.practitioner_by_id[k[0]].history.carry(k[1]), caps[k])
            for k in keys
        ]
        level = _settling_level(terms)
        for k, term in zip(keys, terms, strict=True):
            target = _target(term, level)
            low, high = math.floor(target + 1e-9), math.ceil(target - 1e-9)
            result[k] = Band(shares[k], target, low, high)
    return result


def _horizon_limit(instance: Instance, p: Practitioner) -> int | None:
    """The most shifts `p` may hold over the horizon: the period maximum, and the monthly
    and weekly maxima of each month and week the horizon touches, less their context
    shifts (a week or month holds no more shifts than it has days in the horizon)."""
    limits = [] if p.max_shifts_per_period is None else [p.max_shifts_per_period]
    for limit, unit_of, context_in in (
        (p.max_shifts_per_month, month_of, instance.context_in_month),
        (p.max_shifts_per_week, week_of, instance.context_in_week),
    ):
        if limit is not None:
            days: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
            for day in instance.days:
                days[unit_of(day.date)].append(day.date)
            room = (min(len(ds), max(0, limit - context_in(p.id, ds[0]))) for ds in days.values())
            limits.append(sum(room))
    return min(limits, default=None)


def _caps(instance: Instance, shares: dict[ShareKey, float]) -> dict[ShareKey, float]:
    """Each practitioner's horizon maximum, split between day classes by fair share."""
    caps = {}
    for (pid, special), share in shares.items():
        limit = _horizon_limit(instance, instance.practitioner_by_id[pid])
        both = shares[(pid, False)] + shares[(pid, True)]
        if limit is None:
            caps[(pid, special)] = math.inf
        else:
            caps[(pid, special)] = limit * share / both if both else float(limit)
    return caps


def _target(term: tuple[float, float, float], level: float) -> float:
    share, carry, cap = term
    return min(cap, max(0.0, share + carry - level * share))


def _settling_level(terms: list[tuple[float, float, float]]) -> float:
    """The level at which the targets of a group add up to its shares (bisection)."""
    total = sum(share for share, _, _ in terms)
    low, high = -1e6, 1e6
    for _ in range(80):
        level = (low + high) / 2
        if sum(_target(term, level) for term in terms) > total:
            low = level
        else:
            high = level
    return (low + high) / 2
