"""Decision variables, named by meaning.

`assign[a]` is 1 when the candidate shift `a` (practitioner, day, block, sector) is in the
roster. Only candidate shifts get a variable, so availability, profession and sector are
enforced by construction. `worked[p, day]` is 1 when practitioner `p` is on call that day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.eligibility import candidate_shifts
from solver.instance import Assignment, Instance


@dataclass(frozen=True)
class Variables:
    """The model's variables, and indexes over them."""

    assign: dict[Assignment, cp_model.IntVar]
    worked: dict[tuple[str, dt.date], cp_model.LinearExprT]
    shifts_by_practitioner: dict[str, list[Assignment]]

    def days_of(self, practitioner: str) -> list[dt.date]:
        """Sorted days on which the practitioner has at least one candidate shift."""
        return sorted({a.day for a in self.shifts_by_practitioner.get(practitioner, [])})


def create_variables(model: cp_model.CpModel, instance: Instance) -> Variables:
    """One boolean per candidate shift, and the on-call-day indicators built from them."""
    assign = {
        a: model.new_bool_var(f"assign[{a.practitioner},{a.day},{a.block},{a.sector}]")
        for a in candidate_shifts(instance)
    }
    by_practitioner: dict[str, list[Assignment]] = defaultdict(list)
    by_day: dict[tuple[str, dt.date], list[cp_model.IntVar]] = defaultdict(list)
    for a, var in assign.items():
        by_practitioner[a.practitioner].append(a)
        by_day[(a.practitioner, a.day)].append(var)
    multiple = instance.rules.allow_multiple_blocks_per_day
    worked = {
        key: _worked(model, key, shifts) if multiple else sum(shifts)
        for key, shifts in by_day.items()
    }
    return Variables(assign, worked, dict(by_practitioner))


def _worked(
    model: cp_model.CpModel, key: tuple[str, dt.date], shifts: list[cp_model.IntVar]
) -> cp_model.LinearExprT:
    """A boolean equal to 'at least one of `shifts`', for days allowing several blocks."""
    if len(shifts) == 1:
        return shifts[0]
    on_call = model.new_bool_var(f"worked[{key[0]},{key[1]}]")
    model.add_max_equality(on_call, shifts)
    return on_call
