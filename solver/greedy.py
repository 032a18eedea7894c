"""Day-by-day greedy rosters, never breaking a hard rule.

`greedy_roster` is the 'least recently on call' rule open-source on-call schedulers use: the
baseline the solver is measured against. `fair_share_roster` fills each demand with the
practitioners furthest below their fair-share target; the solver uses it as a first
solution hint.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable

from solver.eligibility import candidate_shifts, is_rested
from solver.instance import Assignment, Demand, Instance, Practitioner, month_of, week_of
from solver.objective import misses_preference
from solver.shares import bands

Priority = Callable[[Practitioner, Demand], tuple[object, ...]]


class _Roster:
    """The roster under construction, with what the hard rules need to know: each
    practitioner's shifts, and their count per day class, ISO week and calendar month."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.shifts: dict[str, list[Assignment]] = defaultdict(list)
        self.counts: Counter[tuple[str, str, object]] = Counter()
        for a in instance.locked:
            self.add(a)

    def add(self, a: Assignment) -> None:
        """Put shift `a` in the roster."""
        self.shifts[a.practitioner].append(a)
        self.counts[(a.practitioner, "special", self.instance.day_by_date[a.day].is_special)] += 1
        self.counts[(a.practitioner, "week", week_of(a.day))] += 1
        self.counts[(a.practitioner, "month", month_of(a.day))] += 1

    def all(self) -> list[Assignment]:
        return sorted(a for shifts in self.shifts.values() for a in shifts)

    def load(self, p: Practitioner, special: bool) -> int:
        return self.counts[(p.id, "special", special)]

    def last_on_call(self, p: Practitioner, before: dt.date) -> dt.date:
        days = [a.day for a in self.shifts[p.id] if a.day < before]
        return max(days, default=p.history.last_on_call or dt.date.min)

    def can_take(self, p: Practitioner, d: Demand) -> bool:
        instance = self.instance
        rules = instance.rules
        shifts = self.shifts[p.id]
        return (
            (p.max_shifts_per_period is None or len(shifts) < p.max_shifts_per_period)
            and (p.max_shifts_per_week is None or self._in_week(p, d) < p.max_shifts_per_week)
            and (p.max_shifts_per_month is None or self._in_month(p, d) < p.max_shifts_per_month)
            and p.is_available(d.day, d.block)
            and is_rested(instance, p, d.day)
            and all(
                _compatible(a, d, rules.min_rest_days, rules.allow_multiple_blocks_per_day)
                for a in shifts
            )
        )

    def _in_week(self, p: Practitioner, d: Demand) -> int:
        week = week_of(d.day)
        return self.instance.context_in_week(p.id, d.day) + self.counts[(p.id, "week", week)]

    def _in_month(self, p: Practitioner, d: Demand) -> int:
        month = month_of(d.day)
        return self.instance.context_in_month(p.id, d.day) + self.counts[(p.id, "month", month)]


def _compatible(a: Assignment, d: Demand, rest: int, multiple_blocks: bool) -> bool:
    """Whether an existing shift `a` leaves room for a new one on demand `d`."""
    if a.day == d.day:
        return multiple_blocks and a.block != d.block
    return abs((a.day - d.day).days) > rest


def _fill(instance: Instance, roster: _Roster, priority: Priority) -> list[Assignment]:
    """Take demands day by day; each picks the eligible practitioners of lowest priority key."""
    locked_count: dict[tuple[dt.date, str, str, str], int] = defaultdict(int)
    for a in instance.locked:
        profession = instance.practitioner_by_id[a.practitioner].profession
        locked_count[(a.day, a.block, profession, a.sector)] += 1
    colleagues: dict[tuple[str, str], list[Practitioner]] = defaultdict(list)
    for p in instance.practitioners:
        for sector in p.sectors:
            colleagues[(p.profession, sector)].append(p)
    order = {day.date: i for i, day in enumerate(instance.days)}
    demands = sorted(
        instance.demands,
        key=lambda d: (order[d.day], instance.blocks.index(d.block), d.profession, d.sector),
    )
    for d in demands:
        need = d.count - locked_count[(d.day, d.block, d.profession, d.sector)]
        pool = [p for p in colleagues[(d.profession, d.sector)] if roster.can_take(p, d)]
        pool.sort(key=lambda p: priority(p, d))
        for p in pool[: max(0, need)]:
            roster.add(Assignment(p.id, d.day, d.block, d.sector))
    return roster.all()


def greedy_roster(instance: Instance) -> list[Assignment]:
    """A valid roster by the least-recently-on-call rule (ties: fewest shifts per FTE, id)."""
    roster = _Roster(instance)

    def least_recent(p: Practitioner, d: Demand) -> tuple[object, ...]:
        return (roster.last_on_call(p, d.day), len(roster.shifts[p.id]) / p.fte, p.id)

    return _fill(instance, roster, least_recent)


def fair_share_roster(instance: Instance, spacing_window_days: int = 0) -> list[Assignment]:
    """A valid roster giving each demand to those most behind their fair-share target.

    A shift is disliked on an avoided day, off the preferred days, or within
    `spacing_window_days` of another shift. Demands go first to those below their band's
    top who do not dislike the shift, then to those below its bottom; urgency breaks ties:
    what remains of the target over the good candidate days left in the day class.
    """
    roster = _Roster(instance)
    band = bands(instance)
    good_days: dict[tuple[str, bool], list[dt.date]] = defaultdict(list)
    for a in candidate_shifts(instance):
        p = instance.practitioner_by_id[a.practitioner]
        if a.day not in p.avoided_days and not misses_preference(instance, a):
            good_days[(p.id, instance.day_by_date[a.day].is_special)].append(a.day)

    def dislikes(p: Practitioner, d: Demand) -> bool:
        shift = Assignment(p.id, d.day, d.block, d.sector)
        return (
            d.day in p.avoided_days
            or misses_preference(instance, shift)
            or any(abs((a.day - d.day).days) < spacing_window_days for a in roster.shifts[p.id])
        )

    def most_behind(p: Practitioner, d: Demand) -> tuple[object, ...]:
        key = (p.id, instance.day_by_date[d.day].is_special)
        load = roster.load(p, key[1])
        days = good_days[key]
        remaining = len(days) - bisect.bisect_left(days, d.day)
        urgency = (band[key].target - load) / max(1, remaining)
        return (load >= band[key].high, dislikes(p, d), load >= band[key].low, -urgency, p.id)

    return _fill(instance, roster, most_behind)
