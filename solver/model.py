"""Compose the CP-SAT model once, then steer it stage by stage (lexicographic solving)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model, cp_model_helper

from solver.config import SolverConfig
from solver.constraints import HARD_RULES
from solver.instance import Assignment, Instance
from solver.objective import ObjectiveTerms, build_terms, demand_shifts, uncovered
from solver.variables import Variables, create_variables


@dataclass(frozen=True)
class BuiltModel:
    """A CP-SAT model with handles on its variables and on every named objective term."""

    instance: Instance
    model: cp_model.CpModel
    variables: Variables
    terms: ObjectiveTerms

    def minimise(self, names: Iterable[str]) -> None:
        """Make the sum of the named terms the objective (replacing any earlier one)."""
        self.model.minimize(sum(self.terms[name] for name in names))

    def hold_at_most(self, names: Iterable[str], value: int) -> None:
        """Keep the sum of the named terms at most `value` in later stages."""
        self.model.add(sum(self.terms[name] for name in names) <= value)

    def hold_coverage(self, missing: int) -> None:
        """Keep exactly `missing` practitioners missing over all demands.

        When nothing is missing each demand is met exactly, an equality per demand, which
        keeps the relaxation tight; otherwise only the total is fixed.
        """
        if missing == 0:
            for shifts, count in demand_shifts(self.instance, self.variables):
                self.model.add(sum(shifts) == count)
        else:
            self.model.add(self.terms["uncovered"] == missing)

    def term_values(self, roster: set[Assignment]) -> dict[str, int]:
        """Each term's value for `roster`, derived variables at their least consistent value
        (what minimising them gives), whatever the current objective."""
        values = self.variables.values_from(roster)
        return {name: _evaluate(term, values) for name, term in self.terms.items()}

    def hint(self, roster: set[Assignment]) -> None:
        """Hint every variable, derived ones included, with its value for `roster`."""
        self.model.clear_hints()
        values = self.variables.values_from(roster)
        for var in [*self.variables.assign.values(), *(d.var for d in self.variables.derived)]:
            self.model.add_hint(var, values[var.index])


def build_model(instance: Instance, config: SolverConfig) -> BuiltModel:
    """Every hard rule as constraints; `uncovered` (unweighted) and every weighted soft term."""
    model = cp_model.CpModel()
    variables = create_variables(model, instance)
    for add_rule in HARD_RULES:
        add_rule(model, instance, variables)
    terms: ObjectiveTerms = {"uncovered": uncovered(instance, variables)}
    terms.update(build_terms(model, instance, variables, config))
    return BuiltModel(instance, model, variables, terms)


def _evaluate(expr: cp_model.LinearExprT, values: dict[int, int]) -> int:
    """Value of a linear expression given the value of each variable (by index)."""
    if not isinstance(expr, cp_model.LinearExpr):
        return int(expr)
    flat = cp_model_helper.FlatIntExpr(expr)
    return int(flat.offset) + sum(
        int(c) * values[var.index] for var, c in zip(flat.vars, flat.coeffs, strict=True)
    )
