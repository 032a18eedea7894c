"""Compose the CP-SAT model: variables, every hard rule, the weighted objective."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.config import SolverConfig
from solver.constraints import HARD_RULES
from solver.instance import Assignment, Instance
from solver.objective import ObjectiveTerms, build_terms
from solver.variables import Variables, create_variables


@dataclass(frozen=True)
class BuiltModel:
    """A CP-SAT model with handles on its variables and objective terms."""

    model: cp_model.CpModel
    variables: Variables
    terms: ObjectiveTerms


def build_model(instance: Instance, config: SolverConfig) -> BuiltModel:
    """The full model of `instance`: hard rules as constraints, soft rules minimised."""
    model = cp_model.CpModel()
    variables = create_variables(model, instance)
    for add_rule in HARD_RULES:
        add_rule(model, instance, variables)
    terms = build_terms(model, instance, variables, config)
    model.minimize(sum(terms.values()))
    return BuiltModel(model, variables, terms)


def add_roster_hint(built: BuiltModel, roster: set[Assignment]) -> None:
    """Hint every variable, derived ones included, with its value for `roster`."""
    values = built.variables.values_from(roster)
    for var in [*built.variables.assign.values(), *(d.var for d in built.variables.derived)]:
        built.model.add_hint(var, values[var.index])
