"""Compose the CP-SAT model once, then steer it stage by stage (lexicographic solving)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model, cp_model_helper

from solver.competence import competence_shortfall
from solver.config import SolverConfig
from solver.constraints import HARD_RULES
from solver.instance import Assignment, Instance
from solver.objective import (
    ObjectiveTerms,
    TermBuilders,
    demand_shifts,
    term_builders,
    uncovered,
)
from solver.variables import Variables, create_variables


@dataclass(frozen=True)
class BuiltModel:
    """A CP-SAT model with handles on its variables and on every named objective term.

    A term enters the model (variables and constraints) the first time it is used.
    """

    instance: Instance
    model: cp_model.CpModel
    variables: Variables
    builders: TermBuilders
    built: ObjectiveTerms = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Every term's name, coverage first."""
        return list(self.builders)

    def term(self, name: str) -> cp_model.LinearExprT:
        """The named term, added to the model if it is not yet."""
        if name not in self.built:
            self.built[name] = self.builders[name]()
        return self.built[name]

    def minimise(self, names: Iterable[str]) -> None:
        """Make the sum of the named terms the objective (replacing any earlier one)."""
        self.model.minimize(self._sum(names))

    def hold_at_most(self, names: Iterable[str], value: int) -> None:
        """Keep the sum of the named terms at most `value` in later stages."""
        self.model.add(self._sum(names) <= value)

    def _sum(self, names: Iterable[str]) -> cp_model.LinearExprT:
        """The sum of the named terms."""
        return cp_model.LinearExpr.sum([self.term(name) for name in names])

    def hold_coverage(self, missing: int) -> bool:
        """Keep exactly `missing` practitioners missing over all demands; whether a total
        is held (then only the search with the relaxation finds the next stages' rosters).

        When only the demand no candidate can serve is missing, every demand is met as far
        as its candidates allow, an equality per demand, which keeps the relaxation tight;
        otherwise only the total is fixed. The total is fixed too when competence demands
        count in it (their shortfall is held at its value).
        """
        if missing == self.lower_bound(["uncovered"]):
            for shifts, count in demand_shifts(self.instance, self.variables):
                if shifts:
                    self.model.add(sum(shifts) == min(count, len(shifts)))
        total = missing != self.lower_bound(["uncovered"]) or bool(self.instance.competence_demands)
        if total:
            self.model.add(self.term("uncovered") == missing)
        return total

    def value(self, names: Iterable[str], roster: set[Assignment]) -> int:
        """The sum of the named terms for `roster`."""
        return _evaluate(self._sum(names), self.variables.values_from(roster))

    def lower_bound(self, names: Iterable[str]) -> int:
        """A bound no roster can beat, known without search: the demand no candidate can
        serve for coverage, zero for the other terms (none is ever negative)."""
        if "uncovered" not in names:
            return 0
        shifts = demand_shifts(self.instance, self.variables)
        return sum(max(0, count - len(xs)) for xs, count in shifts)

    def term_values(self, roster: set[Assignment]) -> dict[str, int]:
        """Each term's value for `roster` (every term enters the model), derived variables
        at their least consistent value (what minimising them gives)."""
        terms = {name: self.term(name) for name in self.names}
        values = self.variables.values_from(roster)
        return {name: _evaluate(term, values) for name, term in terms.items()}

    def hint(self, roster: set[Assignment]) -> None:
        """Hint every variable, derived ones included, with its value for `roster`."""
        self.model.clear_hints()
        values = self.variables.values_from(roster)
        hint = self.model.proto.solution_hint
        hint.vars.extend(list(values))
        hint.values.extend(list(values.values()))


def build_model(instance: Instance, config: SolverConfig) -> BuiltModel:
    """Every hard rule as constraints; `uncovered` (unweighted) and every weighted soft term."""
    model = cp_model.CpModel()
    variables = create_variables(model, instance)
    for add_rule in HARD_RULES:
        add_rule(model, instance, variables)
    builders: TermBuilders = {
        "uncovered": lambda: cp_model.LinearExpr.sum(
            [uncovered(instance, variables), competence_shortfall(model, instance, variables)]
        )
    }
    builders.update(term_builders(model, instance, variables, config))
    return BuiltModel(instance, model, variables, builders)


def _evaluate(expr: cp_model.LinearExprT, values: dict[int, int]) -> int:
    """Value of a linear expression given the value of each variable (by index)."""
    if not isinstance(expr, cp_model.LinearExpr):
        return int(expr)
    flat = cp_model_helper.FlatIntExpr(expr)
    return int(flat.offset) + sum(
        int(c) * values[var.index] for var, c in zip(flat.vars, flat.coeffs, strict=True)
    )
