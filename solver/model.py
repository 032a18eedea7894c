"""Compose the CP-SAT model: variables, every hard rule, the weighted objective."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.config import SolverConfig
from solver.constraints import HARD_RULES
from solver.instance import Instance
from solver.objective import Terms, build_terms
from solver.variables import Variables, create_variables


@dataclass(frozen=True)
class BuiltModel:
    """A CP-SAT model with handles on its variables and objective terms."""

    model: cp_model.CpModel
    variables: Variables
    terms: Terms


def build_model(instance: Instance, config: SolverConfig) -> BuiltModel:
    """The full model of `instance`: hard rules as constraints, soft rules minimised."""
    model = cp_model.CpModel()
    variables = create_variables(model, instance)
    for add_rule in HARD_RULES:
        add_rule(model, instance, variables)
    terms = build_terms(model, instance, variables, config)
    model.minimize(sum(terms.values()))
    return BuiltModel(model, variables, terms)


def add_previous_roster_hint(built: BuiltModel, instance: Instance) -> None:
    """Hint every assignment variable with its value in the previous roster (repair)."""
    previous = set(instance.previous_roster)
    for a, var in built.variables.assign.items():
        built.model.add_hint(var, a in previous)
