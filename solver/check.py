"""Independent verifier: lists every hard rule a roster breaks.

Written in plain Python from the rules' wording, on purpose without the model code, so a
modelling mistake cannot hide itself. Rules checked: `reference`, `availability`,
`profession_sector`, `demand`, `one_shift_per_block`, `one_block_per_day`,
`max_per_period`, `max_per_week`, `max_per_month`, `min_rest`, `locked`, `competence`
(a complete roster only: not when validating locks alone). The instance's
context shifts (fixed, outside the horizon) count toward the weekly and monthly maxima and
the rest rule; a violation is always reported on a shift of the roster.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
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

    With `require_locked=False` neither a missing locked assignment nor a competence
    shortfall is reported (used to validate the locks themselves).
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
    violations += _max_per_month(instance, known)
    violations += _min_rest(instance, known)
    if require_locked:
        violations += _locked(instance, known)
        violations += _competence(instance, known)
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
    """A practitioner holds at most `max_shifts_per_week` shifts per ISO week, context included."""

    def week(day: dt.date) -> object:
        return day.isocalendar()[:2]

    return _max_per_unit(instance, roster, "max_shifts_per_week", "week", week)


def _max_per_month(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """A practitioner holds at most `max_shifts_per_month` shifts per calendar month, context
    included."""

    def month(day: dt.date) -> object:
        return (day.year, day.month)

    return _max_per_unit(instance, roster, "max_shifts_per_month", "month", month)


def _max_per_unit(
    instance: Instance,
    roster: list[Assignment],
    limit_field: str,
    unit: str,
    unit_of: Callable[[dt.date], object],
) -> list[Violation]:
    """Weeks or months holding more shifts (roster and context) than the practitioner's limit.

    Each is reported once, on the roster's shift that goes over the limit in date order (or
    the roster's last shift of the unit, when fixed shifts after it go over).
    """
    fixed = _shifts_by_practitioner(list(instance.context))
    found = []
    for pid, shifts in _shifts_by_practitioner(roster).items():
        limit = getattr(instance.practitioner_by_id[pid], limit_field)
        if limit is None:
            continue
        units: dict[object, list[tuple[dt.date, bool]]] = defaultdict(list)
        for a in shifts:
            units[unit_of(a.day)].append((a.day, True))
        for a in fixed.get(pid, []):
            if unit_of(a.day) in units:
                units[unit_of(a.day)].append((a.day, False))
        for held in units.values():
            if len(held) <= limit:
                continue
            held.sort()
            mine = [day for day, in_roster in held if in_roster]
            day = next((d for d, in_roster in held[limit:] if in_roster), mine[-1])
            outside = len(held) - len(mine)
            detail = f"{len(held)} shifts in the {unit}, at most {limit}"
            if outside:
                detail += f" ({outside} fixed outside the horizon)"
            found.append(Violation(f"max_per_{unit}", pid, day, detail))
    return found


def _min_rest(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """Between two on-call days lie at least `min_rest_days` days off, across periods too:
    after the history's last on-call day and around the context shifts."""
    rest = instance.rules.min_rest_days
    fixed = _shifts_by_practitioner(list(instance.context))
    found = []
    for pid, shifts in _shifts_by_practitioner(roster).items():
        last = instance.practitioner_by_id[pid].history.last_on_call
        days = {(a.day, True) for a in shifts}
        outside = {(a.day, False) for a in fixed.get(pid, [])}
        if last is not None:
            outside.add((last, False))
        sequence = sorted(days | {(d, False) for d, _ in outside if (d, True) not in days})
        for (before, before_mine), (after, after_mine) in itertools.pairwise(sequence):
            if (after - before).days <= rest and (before_mine or after_mine):
                detail = f"on call on {(before if after_mine else after).isoformat()}, "
                detail += f"needs {rest} day(s) of rest"
                found.append(Violation("min_rest", pid, after if after_mine else before, detail))
    return found


def _locked(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """Every locked assignment is in the roster as it is."""
    present = set(roster)
    return [
        Violation("locked", a.practitioner, a.day, f"locked {a.block} in {a.sector} is missing")
        for a in instance.locked
        if a not in present
    ]


def _competence(instance: Instance, roster: list[Assignment]) -> list[Violation]:
    """A competence demand short of holders on call has no holder who could serve: one
    not on call that day, available, wanted in one of their sectors for that block (in
    place of a non-holder if need be), and within their maxima and rest. Reported on each
    such holder."""
    on_call = Counter((a.practitioner, a.day, a.block) for a in roster)
    busy = {(a.practitioner, a.day) for a in roster}
    wanted = {(d.day, d.block, d.profession, d.sector) for d in instance.demands if d.count > 0}
    mine = _shifts_by_practitioner(roster)
    found = []
    for d in instance.competence_demands:
        pool = [
            p
            for p in instance.practitioners
            if p.profession == d.profession and d.competence in p.competences
        ]
        serving = sum(on_call[(p.id, d.day, d.block)] for p in pool)
        if serving >= d.count:
            continue
        for p in pool:
            if (p.id, d.day) in busy or not p.is_available(d.day, d.block):
                continue
            for sector in p.sectors:
                if (d.day, d.block, d.profession, sector) not in wanted:
                    continue
                extra = Assignment(p.id, d.day, d.block, sector)
                if _keeps_limits(instance, mine.get(p.id, []), extra):
                    detail = (
                        f"{serving} {d.profession} with competence {d.competence!r} on call "
                        f"for {d.block}, {d.count} wanted, and {p.id} could serve in {sector}"
                    )
                    found.append(Violation("competence", p.id, d.day, detail))
                    break
    return found


def _keeps_limits(instance: Instance, shifts: list[Assignment], extra: Assignment) -> bool:
    """Whether adding `extra` to a practitioner's shifts keeps their maxima and rest."""
    rules = (_max_per_period, _max_per_week, _max_per_month, _min_rest)
    before = {v.rule for rule in rules for v in rule(instance, shifts)}
    after = {v.rule for rule in rules for v in rule(instance, [*shifts, extra])}
    return after <= before
