"""Decision variables, named by meaning.

`assign[a]` is 1 when the candidate shift `a` (practitioner, day, block, sector) is in the
roster. Only candidate shifts get a variable, so availability, profession and sector are
enforced by construction. `worked[p, day]` lists variables summing to 1 when practitioner
`p` is on call that day. Every other variable is derived from these (see `Derived`), so a
roster determines them all and can be given to the solver as a complete hint.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ortools.sat.python import cp_model

from solver.eligibility import candidate_shifts
from solver.instance import Assignment, Instance

Terms = Sequence[tuple[int, cp_model.IntVar]]


@dataclass(frozen=True)
class Derived:
    """A variable whose best value follows from others.

    kind "excess": `var >= sum(coef * x) + constant`, `var >= 0`, minimised by the objective;
    kind "flow": `var == sum(coef * x) + constant` for every valid roster, by constraints the
    caller adds; kind "any": `var == max(x)`.
    """

    var: cp_model.IntVar
    terms: Terms
    constant: int
    upper: int
    kind: Literal["excess", "flow", "any"]
    index: int = field(init=False, repr=False, compare=False)
    indexed: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    """The variable's index, and its terms as (coefficient, variable index): reading an
    index from OR-Tools is slow, and every roster evaluated reads them all."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", self.var.index)
        object.__setattr__(self, "indexed", tuple((coef, x.index) for coef, x in self.terms))

    def value(self, values: dict[int, int]) -> int:
        """The value this variable takes given the values of its terms (by variable index)."""
        if self.kind == "any":
            return max(values[i] for _, i in self.indexed)
        total = sum(coef * values[i] for coef, i in self.indexed) + self.constant
        return min(max(0, total), self.upper)


@dataclass(frozen=True)
class Variables:
    """The model's variables, and indexes over them."""

    assign: dict[Assignment, cp_model.IntVar]
    worked: dict[tuple[str, dt.date], list[cp_model.IntVar]]
    shifts_by_practitioner: dict[str, list[Assignment]]
    derived: list[Derived] = field(default_factory=list)
    last_values: dict[tuple[frozenset[Assignment], int], dict[int, int]] = field(
        default_factory=dict
    )
    assign_index: dict[Assignment, int] = field(init=False, repr=False, compare=False)
    """Each candidate shift's variable index (see `Derived.indexed`)."""

    def __post_init__(self) -> None:
        indexes = {a: var.index for a, var in self.assign.items()}
        object.__setattr__(self, "assign_index", indexes)

    def days_of(self, practitioner: str) -> list[dt.date]:
        """Sorted days on which the practitioner has at least one candidate shift."""
        return sorted({a.day for a in self.shifts_by_practitioner.get(practitioner, [])})

    def new_excess(
        self, model: cp_model.CpModel, terms: Terms, constant: int, upper: int, name: str
    ) -> cp_model.IntVar:
        """A variable in [0, upper] at least `sum(coef * x) + constant`."""
        upper = max(0, upper)
        var = model.new_int_var(0, upper, name)
        model.add(sum(coef * x for coef, x in terms) + constant <= var)
        self.derived.append(Derived(var, terms, constant, upper, "excess"))
        return var

    def new_flow(
        self, model: cp_model.CpModel, terms: Terms, constant: int, name: str
    ) -> cp_model.IntVar:
        """A boolean worth `sum(coef * x) + constant` in a valid roster (caller constrains it)."""
        var = model.new_bool_var(name)
        self.derived.append(Derived(var, terms, constant, 1, "flow"))
        return var

    def values_from(self, roster: set[Assignment]) -> dict[int, int]:
        """Value of every variable (by index) for a roster of candidate shifts (the last
        roster's values are kept: each stage asks for them several times)."""
        key = (frozenset(roster), len(self.derived))
        if key in self.last_values:
            return self.last_values[key]
        values = {i: int(a in roster) for a, i in self.assign_index.items()}
        for d in self.derived:
            values[d.index] = d.value(values)
        self.last_values.clear()
        self.last_values[key] = values
        return values


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
    v = Variables(assign, {}, dict(by_practitioner))
    multiple = instance.rules.allow_multiple_blocks_per_day
    for key, shifts in by_day.items():
        v.worked[key] = [_any(model, v, key, shifts)] if multiple and len(shifts) > 1 else shifts
    return v


def _any(
    model: cp_model.CpModel, v: Variables, key: tuple[str, dt.date], shifts: list[cp_model.IntVar]
) -> cp_model.IntVar:
    """A boolean equal to 'at least one of `shifts`', for days allowing several blocks."""
    on_call = model.new_bool_var(f"worked[{key[0]},{key[1]}]")
    model.add_max_equality(on_call, shifts)
    v.derived.append(Derived(on_call, [(1, x) for x in shifts], 0, 1, "any"))
    return on_call
