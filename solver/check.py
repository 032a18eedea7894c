"""Independent verifier: lists every hard rule a roster breaks.

Written in plain Python from the rules' wording, on purpose without the model code, so a
modelling mistake cannot hide itself. Rules checked: `reference`, `availability`,
`profession_sector`, `demand`, `one_shift_per_block`, `one_block_per_day`,
`max_per_period`, `max_per_week`, `min_rest`, `locked`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from solver.instance import Assignment, Instance


@dataclass(frozen=True, order=True)
class Violation:
    """One broken hard rule for one practitioner on one day."""

    rule: str
    practitioner: str
    day: dt.date
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.practitioner} on {self.day.isoformat()}: {self.detail}"


def check(
    instance: Instance, assignments: Iterable[Assignment], *, require_locked: bool = True
) -> list[Violation]:
    """Every violation of a hard rule by `assignments`, sorted; empty when the roster is valid.

    With `require_locked=False` a missing locked assignment is not reported (used to
    validate the locks themselves).
    """
    roster = list(assignments)
    known = [a for a in roster if _is_known(instance, a)]
    violations = [_unknown(a) for a in roster if not _is_known(instance, a)]
    violations += _availability(instance, known)
    violations += _profession_sector(instance, known)
    violations += _demand(instance, known)
    violations += _one_shift_per_block(known)
    if not instance.rules.allow_multiple_blocks_per_day:
        violations += _one_block_per_day(known)
    violations += _max_per_period(instance, known)
    violations += _max_per_week(instance, known)
    violations += _min_rest(instance, known)
    if require_locked:
        violations += _locked(instance, known)
    return sorted(violations)


def _is_known(instance: Instance, a: Assignment) -> bool:
    return (
        a.practitioner in instance.practitioner_by_id
        and a.day in instance.day_by_date
        and a.block in instance.blocks
    )


def _unknown(a: Assignment) -> Violation:
    return Violation("reference", a.practitioner, a.day, f"unknown practitioner, day or block {a}")


def _availability(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """A practitioner is never on call on a day or block they declared unavailable."""
    found = []
    for a in roster:
        p = instance.practitioner_by_id[a.practitioner]
        if a.day in p.unavailable_days or (a.day, a.block) in p.unavailable_blocks:
            found.append(Violation("availability", a.practitioner, a.day, f"absent for {a.block}"))
    return found


def _profession_sector(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """A practitioner serves only in one of their own sectors."""
    found = []
    for a in roster:
        p = instance.practitioner_by_id[a.practitioner]
        if a.sector not in p.sectors:
            detail = f"sector {a.sector} is not one of {', '.join(p.sectors)}"
            found.append(Violation("profession_sector", a.practitioner, a.day, detail))
    return found


def _demand(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """No more practitioners than demanded per day, block, profession and sector."""
    wanted = {(d.day, d.block, d.profession, d.sector): d.count for d in instance.demands}
    served: dict[tuple[dt.date, str, str, str], list[Assignment]] = defaultdict(list)
    for a in sorted(roster):
        profession = instance.practitioner_by_id[a.practitioner].profession
        served[(a.day, a.block, profession, a.sector)].append(a)
    found = []
    for key, assigned in served.items():
        count = wanted.get(key, 0)
        for a in assigned[count:]:
            detail = f"{len(assigned)} {key[2]} in {key[3]} for {key[1]}, {count} wanted"
            found.append(Violation("demand", a.practitioner, a.day, detail))
    return found


def _one_shift_per_block(roster: list[Assignment]) -> list[Violation]:
    """A practitioner holds at most one shift per day and block (one sector at a time)."""
    counts = Counter((a.practitioner, a.day, a.block) for a in roster)
    return [
        Violation("one_shift_per_block", p, day, f"{n} shifts in block {block}")
        for (p, day, block), n in counts.items()
        if n > 1
    ]


def _one_block_per_day(roster: list[Assignment]) -> list[Violation]:
    """Unless the rules allow it, a practitioner is on call for at most one block a day."""
    blocks: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
    for a in roster:
        blocks[(a.practitioner, a.day)].add(a.block)
    return [
        Violation("one_block_per_day", p, day, f"blocks {', '.join(sorted(names))}")
        for (p, day), names in blocks.items()
        if len(names) > 1
    ]


def _shifts_by_practitioner(roster: list[Assignment]) -> dict[str, list[Assignment]]:
    by_practitioner: dict[str, list[Assignment]] = defaultdict(list)
    for a in sorted(roster, key=lambda a: (a.practitioner, a.day, a.block)):
        by_practitioner[a.practitioner].append(a)
    return by_practitioner


def _max_per_period(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """A practitioner holds at most `max_shifts_per_period` shifts in the horizon."""
    found = []
    for pid, shifts in _shifts_by_practitioner(roster).items():
        limit = instance.practitioner_by_id[pid].max_shifts_per_period
        if limit is not None and len(shifts) > limit:
            detail = f"{len(shifts)} shifts, at most {limit} per period"
            found.append(Violation("max_per_period", pid, shifts[limit].day, detail))
    return found


def _max_per_week(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """A practitioner holds at most `max_shifts_per_week` shifts per ISO week."""
    found = []
    for pid, shifts in _shifts_by_practitioner(roster).items():
        limit = instance.practitioner_by_id[pid].max_shifts_per_week
        if limit is None:
            continue
        weeks: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
        for a in shifts:
            weeks[a.day.isocalendar()[:2]].append(a)
        for week in weeks.values():
            if len(week) > limit:
                detail = f"{len(week)} shifts in the week, at most {limit}"
                found.append(Violation("max_per_week", pid, week[limit].day, detail))
    return found


def _min_rest(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """Between two on-call days lie at least `min_rest_days` days off, across periods too."""
    rest = instance.rules.min_rest_days
    found = []
    for pid, shifts in _shifts_by_practitioner(roster).items():
        last = instance.practitioner_by_id[pid].history.last_on_call
        days = sorted({a.day for a in shifts})
        sequence = ([last] if last is not None else []) + days
        for before, after in itertools.pairwise(sequence):
            if (after - before).days <= rest:
                detail = f"on call on {before.isoformat()}, needs {rest} day(s) of rest"
                found.append(Violation("min_rest", pid, after, detail))
    return found


def _locked(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """Every locked assignment is in the roster as it is."""
    present = set(roster)
    return [
        Violation("locked", a.practitioner, a.day, f"locked {a.block} in {a.sector} is missing")
        for a in instance.locked
        if a not in present
    ]
